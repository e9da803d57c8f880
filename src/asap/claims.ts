import { AsapError } from "./errors.js";

/** The ASAP claims after every rule passed; `sub` defaults to `iss`, `nbf` to `iat`. */
export interface AsapClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  jti: string;
  iat: number;
  exp: number;
  nbf: number;
}

export interface ClaimRules {
  audience: string;
  /** Current time in seconds since the epoch. */
  nowSeconds: number;
  leewaySeconds: number;
  maxLifetimeSeconds: number;
}

export const MAX_JTI_LENGTH = 1024;

type Payload = Record<string, unknown>;

function has(payload: Payload, name: string): boolean {
  return Object.hasOwn(payload, name) && payload[name] !== undefined;
}

function requiredString(payload: Payload, name: string): string {
  if (!has(payload, name)) throw new AsapError("missing_claim", `the ${name} claim is missing`);
  const value = payload[name];
  if (typeof value !== "string" || value.length === 0) {
    throw new AsapError("invalid_claim", `the ${name} claim is not a non-empty string`);
  }
  return value;
}

function numericDate(payload: Payload, name: string): number {
  const value = payload[name];
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new AsapError("invalid_claim", `the ${name} claim is not a NumericDate`);
  }
  return value;
}

function requiredNumericDate(payload: Payload, name: string): number {
  if (!has(payload, name)) throw new AsapError("missing_claim", `the ${name} claim is missing`);
  return numericDate(payload, name);
}

/** Reads `iss` (needed before the signature check to find the key owner). */
export function readIssuer(payload: Payload): string {
  return requiredString(payload, "iss");
}

/** Reads `aud`: a non-empty string or a non-empty array of non-empty strings. */
function readAudience(payload: Payload): string | string[] {
  if (!has(payload, "aud")) throw new AsapError("missing_claim", "the aud claim is missing");
  const aud = payload.aud;
  if (typeof aud === "string" && aud.length > 0) return aud;
  if (
    Array.isArray(aud) &&
    aud.length > 0 &&
    aud.every((entry) => typeof entry === "string" && entry.length > 0)
  ) {
    return aud as string[];
  }
  throw new AsapError("invalid_claim", "the aud claim is not a string or a list of strings");
}

export function audienceIncludes(aud: string | string[], audience: string): boolean {
  return typeof aud === "string" ? aud === audience : aud.includes(audience);
}

/** Checks types and presence of every ASAP claim, without looking at the clock. */
export function readAsapClaims(payload: Payload): AsapClaims {
  const iss = requiredString(payload, "iss");
  const sub = has(payload, "sub") ? requiredString(payload, "sub") : iss;
  const aud = readAudience(payload);
  const jti = requiredString(payload, "jti");
  if (jti.length > MAX_JTI_LENGTH) {
    throw new AsapError("invalid_claim", `the jti claim is longer than ${MAX_JTI_LENGTH}`);
  }
  const iat = requiredNumericDate(payload, "iat");
  const exp = requiredNumericDate(payload, "exp");
  const nbf = has(payload, "nbf") ? numericDate(payload, "nbf") : iat;
  return { iss, sub, aud, jti, iat, exp, nbf };
}

/** Applies audience, lifetime and time-window rules (with leeway) to typed claims. */
export function checkAsapClaims(claims: AsapClaims, rules: ClaimRules): void {
  const { nowSeconds: now, leewaySeconds: leeway } = rules;
  if (!audienceIncludes(claims.aud, rules.audience)) {
    throw new AsapError("invalid_audience", `the token is not meant for ${rules.audience}`);
  }
  if (claims.exp < claims.iat) {
    throw new AsapError("invalid_claim", "the exp claim is before the iat claim");
  }
  if (claims.exp - claims.iat > rules.maxLifetimeSeconds) {
    throw new AsapError(
      "lifetime_too_long",
      `the token lives longer than ${rules.maxLifetimeSeconds} seconds`,
    );
  }
  if (now > claims.exp + leeway) throw new AsapError("token_expired", "the token has expired");
  // iat before nbf: an absent nbf defaults to iat, so checking nbf first blamed a claim the
  // caller never sent. Once iat passes, a defaulted nbf always passes too.
  if (claims.iat > now + leeway) {
    throw new AsapError("token_issued_in_future", "the token was issued in the future (iat)");
  }
  if (now < claims.nbf - leeway) {
    throw new AsapError("token_not_yet_valid", "the token is not valid yet (nbf)");
  }
}

/** Reads and checks ASAP claims; throws AsapError with the reason. */
export function validateAsapClaims(payload: Payload, rules: ClaimRules): AsapClaims {
  const claims = readAsapClaims(payload);
  checkAsapClaims(claims, rules);
  return claims;
}
