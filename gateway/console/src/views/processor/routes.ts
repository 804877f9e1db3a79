// The processor's buyer: trades with the live feed (the start page),
// purchase orders, and the lots on the market. Admins see them too.
import type { Route } from "../routes";
import { TradesPage, TradePage } from "./trades";
import { OrdersPage } from "./orders";
import { LotsPage } from "./lots";

export const processorRoutes: Route[] = [
  { path: "/compras/operaciones", roles: ["ROLE_PROCESSOR"], nav: "market.nav.trades", view: TradesPage },
  { path: "/compras/ordenes", roles: ["ROLE_PROCESSOR"], nav: "market.nav.orders", view: OrdersPage },
  { path: "/compras/lotes", roles: ["ROLE_PROCESSOR"], nav: "market.nav.lots", view: LotsPage },
  { path: "/compras/operaciones/:trade", roles: ["ROLE_PROCESSOR"], view: TradePage },
];
