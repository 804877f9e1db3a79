// The first page: for a visitor, what Millwa is, the way in and the
// public prices; for a signed-in key, its role's first page.
import { useEffect } from "preact/hooks";
import { t } from "../i18n";
import { Link, navigate } from "../router";
import type { Me } from "../session";
import { routes } from "./routes";
import { Page } from "../ui/ui";

export function Home(props: { who: Me | null }) {
  const who = props.who;
  const first = who
    ? routes.find((r) => r.nav && r.roles !== "public" && (who.role === "ROLE_ADMIN" || r.roles.includes(who.role!)))
    : undefined;
  useEffect(() => {
    if (first) navigate(first.path, true);
  }, [first?.path]);
  if (who) {
    return (
      <Page title={t("home.welcome", { name: who.displayName ?? "" })}>
        <p>{t("home.noPages")}</p>
      </Page>
    );
  }
  return (
    <Page title={t("home.title")}>
      <p class="lead">{t("home.lead")}</p>
      <div class="cards">
        <Link class="card link-card" href="/ingresar">
          <strong>{t("home.signIn")}</strong>
          <span>{t("home.signInText")}</span>
        </Link>
        <Link class="card link-card" href="/observatorio">
          <strong>{t("home.prices")}</strong>
          <span>{t("home.pricesText")}</span>
        </Link>
      </div>
    </Page>
  );
}
