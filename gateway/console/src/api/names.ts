// Resource names as the service writes them ("associations/a/lots/l").

/** idOf is the last part of a resource name: "associations/a/lots/l" → "l". */
export function idOf(name: string | undefined): string {
  const n = name ?? "";
  return n.slice(n.lastIndexOf("/") + 1);
}
