/** Stable machine codes for every way an ASAP token, key or store can be refused. */
export type AsapErrorCode =
  | "missing_token"
  | "invalid_authorization_header"
  | "malformed_token"
  | "token_too_large"
  | "unsupported_algorithm"
  | "missing_kid"
  | "invalid_kid"
  | "kid_issuer_mismatch"
  | "unknown_key"
  | "invalid_key"
  | "invalid_signature"
  | "missing_claim"
  | "invalid_claim"
  | "invalid_audience"
  | "token_expired"
  | "token_not_yet_valid"
  | "token_issued_in_future"
  | "lifetime_too_long"
  | "token_replayed"
  | "issuer_not_allowed"
  | "key_repository_unavailable"
  | "replay_store_unavailable";

/** Context worth logging next to a refusal. Never the token itself. */
export interface AsapErrorContext {
  issuer?: string | undefined;
  kid?: string | undefined;
  cause?: unknown;
}

// Issuers come from unverified input; keep what we attach for logs short.
const MAX_CONTEXT_LENGTH = 256;

function boundedContext(value: string | undefined): string | undefined {
  return typeof value === "string" && value.length <= MAX_CONTEXT_LENGTH ? value : undefined;
}

/** A refused token, key or store; `code` is stable and meant to be branched on. */
export class AsapError extends Error {
  readonly code: AsapErrorCode;
  readonly issuer?: string;
  readonly kid?: string;

  constructor(code: AsapErrorCode, message: string, context: AsapErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = "AsapError";
    this.code = code;
    const issuer = boundedContext(context.issuer);
    const kid = boundedContext(context.kid);
    if (issuer !== undefined) this.issuer = issuer;
    if (kid !== undefined) this.kid = kid;
  }

  /** A copy carrying issuer/kid learnt by a caller further up the stack. */
  withContext(context: AsapErrorContext): AsapError {
    if (context.issuer === this.issuer && context.kid === this.kid) return this;
    return new AsapError(this.code, this.message, {
      issuer: this.issuer ?? context.issuer,
      kid: this.kid ?? context.kid,
      cause: this.cause,
    });
  }
}

export function isAsapError(error: unknown): error is AsapError {
  return error instanceof AsapError;
}
