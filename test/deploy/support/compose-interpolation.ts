/**
 * Compose `${VAR:-default}`, `${VAR-default}` and `${VAR}` interpolation with no variable set:
 * what the file means on a machine with an empty environment.
 */
export function withComposeDefaults(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => {
    return fallback ?? "";
  });
}
