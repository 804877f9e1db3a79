// The agency's pages, loaded as one chunk the first time an agency page is
// opened, so that the other roles' first load does not carry them.
import "./agency.css";

export { ReportPage } from "./report";
export { PlansPage, PlanPage } from "./plans";
export { ChecksPage, NewCheckPage, CheckPage } from "./checks";
export { AuditLogPage } from "./log";
