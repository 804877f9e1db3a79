import type { Route } from "../routes";

export const associationRoutes: Route[] = [];
