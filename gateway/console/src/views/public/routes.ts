import type { Route } from "../routes";

export const publicRoutes: Route[] = [];
