/** Codes of failures the client detects itself (its options, the key, the network, the answer). */
export type ClientErrorCode =
  /** An option is missing or out of range (baseUrl, issuer, timeoutMs, lifetime...). */
  | "invalid_options"
  /** The private key cannot be read, is not a private key, or cannot sign the algorithm. */
  | "invalid_private_key"
  | "missing_kid"
  | "invalid_kid"
  /** The kid does not start with `issuer + "/"`, so the service would refuse every token. */
  | "kid_issuer_mismatch"
  | "unsupported_algorithm"
  | "lifetime_too_long"
  /** A text given to score() or scoreMany() is not a string. */
  | "invalid_input"
  /** No connection, or it broke before an answer began, after the allowed retries. */
  | "connection_failed"
  /** The service's TLS certificate is not trusted: pass its CA as `ca`. */
  | "untrusted_certificate"
  /** No answer within `timeoutMs` (retries included). */
  | "timeout"
  /** The caller's AbortSignal fired. */
  | "aborted"
  /** The answer was not JSON, was cut short, or did not have the expected shape. */
  | "invalid_response";

/**
 * The `error` codes the service answers with (see its README). Typed as an open union: a newer
 * service may add codes, which still arrive here as strings.
 */
export type ServiceErrorCode =
  | "invalid_request"
  | "invalid_json"
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
  | "not_found"
  | "model_not_found"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "overloaded"
  | "deadline_exceeded"
  | "inference_worker_crashed"
  | "model_not_ready"
  | "shutting_down"
  | "key_repository_unavailable"
  | "replay_store_unavailable"
  | "internal_error"
  | (string & {});

/**
 * Every error the client throws or rejects with. `code` is stable: branch on it, not on the
 * message. Messages and properties never hold a private key or a token.
 */
export class SentimentClientError extends Error {
  readonly code: ClientErrorCode | ServiceErrorCode;

  constructor(code: ClientErrorCode | ServiceErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SentimentClientError";
    this.code = code;
  }
}

/** The service answered with an error status; `code` is the body's `error`. */
export class SentimentApiError extends SentimentClientError {
  override readonly code: ServiceErrorCode;
  readonly status: number;
  /** The service's id for the request (body `request_id`, else the `X-Request-Id` header). */
  readonly requestId: string | undefined;
  /** Seconds the service asked to wait (`Retry-After`), on 429 and 503. */
  readonly retryAfterSeconds: number | undefined;
  /** The body's `details` (e.g. `issues[].path` of an invalid request), as sent. */
  readonly details: unknown;

  constructor(fields: {
    code: ServiceErrorCode;
    message: string;
    status: number;
    requestId: string | undefined;
    retryAfterSeconds: number | undefined;
    details: unknown;
  }) {
    super(fields.code, fields.message);
    this.name = "SentimentApiError";
    this.code = fields.code;
    this.status = fields.status;
    this.requestId = fields.requestId;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.details = fields.details;
  }
}

export function isSentimentClientError(error: unknown): error is SentimentClientError {
  return error instanceof SentimentClientError;
}
