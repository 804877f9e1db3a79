import type { Route } from "../routes";

export const agencyRoutes: Route[] = [];
