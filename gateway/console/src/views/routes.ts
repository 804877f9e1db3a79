// Every page of the console, by area. Each area keeps its pages in a file of
// its own (association/routes.ts, processor/routes.ts, agency/routes.ts,
// public/routes.ts); the navigation shows a key the pages of its role.
import type { JSX } from "preact";
import type { Role } from "../session";
import { associationRoutes } from "./association/routes";
import { processorRoutes } from "./processor/routes";
import { agencyRoutes } from "./agency/routes";
import { publicRoutes } from "./public/routes";

export interface Route {
  /** Path pattern, e.g. "/acopio/lotes/:lot". */
  path: string;
  /** Roles that see the page; "public" needs no key. ROLE_ADMIN sees every page of a role it is listed for. */
  roles: Role[] | "public";
  /** i18n key of the page's entry in the navigation; absent for pages reached from others. */
  nav?: string;
  view: (props: { params: Record<string, string> }) => JSX.Element;
}

export const routes: Route[] = [...publicRoutes, ...associationRoutes, ...processorRoutes, ...agencyRoutes];
