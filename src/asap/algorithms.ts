/** The asymmetric JWS algorithms ASAP allows. `none` and HMAC (HS*) are never accepted. */
export const ASAP_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
] as const;

export type AsapAlgorithm = (typeof ASAP_ALGORITHMS)[number];

const allowed: ReadonlySet<string> = new Set(ASAP_ALGORITHMS);

export function isAsapAlgorithm(value: unknown): value is AsapAlgorithm {
  return typeof value === "string" && allowed.has(value);
}
