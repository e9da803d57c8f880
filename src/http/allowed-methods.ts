/** A route as Hono lists it in `app.routes`. */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

/**
 * The methods each path answers, for a 405 with `Allow` when another method is used (RFC 9110
 * §15.5.6) instead of a 404 that says the path does not exist. Middleware (`ALL`, `*` paths) is
 * left out; a GET route also answers HEAD.
 */
export function allowedMethodsOf(routes: readonly RouteEntry[]): (path: string) => string[] {
  const byPattern = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    if (method === "ALL" || path.includes("*")) continue;
    let entry = byPattern.get(path);
    if (entry === undefined) {
      entry = { pattern: patternOf(path), methods: new Set() };
      byPattern.set(path, entry);
    }
    entry.methods.add(method);
    if (method === "GET") entry.methods.add("HEAD");
  }
  const entries = [...byPattern.values()];
  return (path) => {
    const methods = new Set<string>();
    for (const entry of entries) {
      if (entry.pattern.test(path)) for (const method of entry.methods) methods.add(method);
    }
    return [...methods].sort();
  };
}

/** `/v1/models/:name` -> /^\/v1\/models\/[^/]+$/ (no trailing slash: Hono's routing is strict). */
function patternOf(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) =>
      segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}
