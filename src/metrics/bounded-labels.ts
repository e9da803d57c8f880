// Label values come from requests, so each one is mapped onto a small fixed set here: a label
// that echoed a raw path or an unverified issuer would let any caller grow the series count
// without bound (and leak what they sent into the monitoring system).
import type { AsapErrorCode } from "../asap/errors.js";

/** Route label of a request no route handler matched (404 from notFound, wrong method...). */
export const UNMATCHED_ROUTE = "unmatched";
/** Label value for anything outside an allowed set. */
export const OTHER = "other";

const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Every AsapError code a verifier can refuse a token with (the signing-side code excluded). */
export const ASAP_REFUSAL_REASONS: readonly AsapErrorCode[] = [
  "missing_token",
  "invalid_authorization_header",
  "malformed_token",
  "token_too_large",
  "unsupported_algorithm",
  "missing_kid",
  "invalid_kid",
  "kid_issuer_mismatch",
  "unknown_key",
  "invalid_key",
  "invalid_signature",
  "missing_claim",
  "invalid_claim",
  "invalid_audience",
  "token_expired",
  "token_not_yet_valid",
  "token_issued_in_future",
  "lifetime_too_long",
  "token_replayed",
  "issuer_not_allowed",
  "key_repository_unavailable",
  "replay_store_unavailable",
];
const REFUSAL_REASONS = new Set<string>(ASAP_REFUSAL_REASONS);

/** A matched route as Hono's `matchedRoutes(c)` reports it. */
export interface MatchedRoute {
  readonly method: string;
  readonly path: string;
}

/**
 * The route pattern (e.g. "/v1/models/:name") a request addressed, never the raw path: the first
 * matched route handler in dispatch order, which is the one that answers unless a middleware
 * (auth) stopped the request first. Routes registered with method "ALL" (`use` middleware and
 * `all` catch-alls) do not count, so a request only a catch-all matched is "unmatched".
 */
export function routeLabel(matched: readonly MatchedRoute[]): string {
  return matched.find((route) => route.method !== "ALL")?.path ?? UNMATCHED_ROUTE;
}

export function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return HTTP_METHODS.has(upper) ? upper : OTHER;
}

/** The status code as a label; anything outside 100-599 (impossible from a real server) is "other". */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : OTHER;
}

export function refusalReasonLabel(code: string): string {
  return REFUSAL_REASONS.has(code) ? code : OTHER;
}

/**
 * The issuer if the operator listed it (ASAP_VALID_ISSUERS), else "other": with no list every
 * issuer holding a key is accepted, and that set is not ours to bound.
 */
export function issuerLabel(issuer: string, allowedIssuers: ReadonlySet<string>): string {
  return allowedIssuers.has(issuer) ? issuer : OTHER;
}
