// CSV import of lots (placeholder until the importer is written).
import { t } from "../../i18n";
import { AssociationPage } from "./shared";

export function ImportPage() {
  return <AssociationPage title={t("acopio.import.title")}>{() => <p>{t("acopio.import.intro")}</p>}</AssociationPage>;
}
