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
 * The `error` code of a service answer: `unknown_key`, `token_replayed`, `rate_limited`,
 * `overloaded` and the others in the service's README (one list, kept there), or `http_<status>`
 * for an answer that is not the service's JSON, such as a proxy's page.
 */
export type ServiceErrorCode = string & {}; // `& {}`: editors still offer the ClientErrorCode names

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
