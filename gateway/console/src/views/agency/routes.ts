// The pages of a regional agency's inspector (admins see them too): the
// consistency report first, then sampling plans, check gradings and the
// audit log. They load lazily, in a chunk of their own.
import { h, type JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Route } from "../routes";
import { Busy, ErrorBox } from "../../ui/ui";
import { NetworkError } from "../../api/client";

type Pages = typeof import("./agency-pages");
type View = (props: { params: Record<string, string> }) => JSX.Element;

let pages: Promise<Pages> | null = null;

function lazy(pick: (m: Pages) => View): View {
  return function LazyAgencyPage(props) {
    const [view, setView] = useState<{ v: View } | null>(null);
    const [error, setError] = useState<unknown>(null);
    useEffect(() => {
      pages ??= import("./agency-pages");
      pages.then((m) => setView({ v: pick(m) })).catch((e) => {
        pages = null;
        setError(new NetworkError(String(e)));
      });
    }, []);
    if (error) return h(ErrorBox, { error });
    return view ? h(view.v, props) : h(Busy, {});
  };
}

export const agencyRoutes: Route[] = [
  { path: "/agencia/informe", roles: ["ROLE_AGENCY"], nav: "agency.nav.report", view: lazy((m) => m.ReportPage) },
  { path: "/agencia/muestreos", roles: ["ROLE_AGENCY"], nav: "agency.nav.plans", view: lazy((m) => m.PlansPage) },
  { path: "/agencia/muestreos/:plan", roles: ["ROLE_AGENCY"], view: lazy((m) => m.PlanPage) },
  { path: "/agencia/verificaciones", roles: ["ROLE_AGENCY"], nav: "agency.nav.checks", view: lazy((m) => m.ChecksPage) },
  { path: "/agencia/verificaciones/nueva", roles: ["ROLE_AGENCY"], view: lazy((m) => m.NewCheckPage) },
  { path: "/agencia/verificaciones/:check", roles: ["ROLE_AGENCY"], view: lazy((m) => m.CheckPage) },
  { path: "/agencia/auditoria", roles: ["ROLE_AGENCY"], nav: "agency.nav.log", view: lazy((m) => m.AuditLogPage) },
];
