// Public pages, no key needed: the market observatory.
import type { Route } from "../routes";
import { ObservatoryPage } from "./observatory";

export const publicRoutes: Route[] = [{ path: "/observatorio", roles: "public", nav: "public.nav.observatory", view: ObservatoryPage }];
