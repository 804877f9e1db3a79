// The pages of an association and its acopio clerks (admins see them too):
// receipts first, the role's start page, then lots, members, trades and
// members' statements.
import type { Route } from "../routes";
import "./acopio.css";
import { NewReceiptPage, ReceiptsPage } from "./receipts";
import { LotBuilderPage } from "./lotbuilder";
import { NewLotPage } from "./lotform";
import { LotPage, LotsPage } from "./lots";
import { MembersPage } from "./members";
import { TradesPage } from "./trades";
import { StatementsPage } from "./statements";
import { ImportPage } from "./import";

const roles: Route["roles"] = ["ROLE_ASSOCIATION"];

export const associationRoutes: Route[] = [
  { path: "/acopio/recepciones", roles, nav: "acopio.nav.receipts", view: ReceiptsPage },
  { path: "/acopio/recepciones/nueva", roles, view: NewReceiptPage },
  { path: "/acopio/lotes", roles, nav: "acopio.nav.lots", view: LotsPage },
  { path: "/acopio/lotes/armar", roles, view: LotBuilderPage },
  { path: "/acopio/lotes/nuevo", roles, view: NewLotPage },
  { path: "/acopio/lotes/importar", roles, view: ImportPage },
  { path: "/acopio/lotes/:lot", roles, view: LotPage },
  { path: "/acopio/socios", roles, nav: "acopio.nav.members", view: MembersPage },
  { path: "/acopio/ventas", roles, nav: "acopio.nav.trades", view: TradesPage },
  { path: "/acopio/liquidaciones", roles, nav: "acopio.nav.statements", view: StatementsPage },
];
