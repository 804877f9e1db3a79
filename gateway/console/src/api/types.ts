// Names for the types the console uses, taken from the generated schema so
// that a change of the API that breaks them fails the type check.
import type { components, paths } from "./schema";

export type Lot = components["schemas"]["v1Lot"];
export type PurchaseOrder = components["schemas"]["v1PurchaseOrder"];
export type ListLotsResponse =
  paths["/v1/associations/{association}/lots"]["get"]["responses"]["200"]["content"]["application/json"];
export type RpcStatus = components["schemas"]["rpcStatus"];

/** lotWeightGrams reads a lot's net weight, which JSON carries as a string. */
export function lotWeightGrams(lot: Lot): bigint {
  return BigInt(lot.netWeightGrams ?? "0");
}
