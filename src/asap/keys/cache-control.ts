/**
 * Seconds a response may be cached for, from its Cache-Control header: `max-age` clamped to
 * [0, maxSeconds]; `no-store`/`no-cache` mean 0; no directive means `defaultSeconds`.
 */
export function cacheLifetimeSeconds(
  header: string | undefined,
  defaultSeconds: number,
  maxSeconds: number,
): number {
  if (header === undefined) return Math.min(defaultSeconds, maxSeconds);
  const directives = header
    .toLowerCase()
    .split(",")
    .map((directive) => directive.trim());
  if (directives.includes("no-store") || directives.includes("no-cache")) return 0;
  for (const directive of directives) {
    const match = /^max-age\s*=\s*"?(\d+)"?$/.exec(directive);
    if (match?.[1] !== undefined) return Math.min(Number(match[1]), maxSeconds);
  }
  return Math.min(defaultSeconds, maxSeconds);
}
