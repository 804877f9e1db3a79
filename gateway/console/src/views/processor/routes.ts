import type { Route } from "../routes";

export const processorRoutes: Route[] = [];
