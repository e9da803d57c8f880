/** Stable machine codes of serving failures; the HTTP layer maps them to statuses. */
export type ServingErrorCode =
  | "overloaded"
  | "deadline_exceeded"
  | "inference_worker_crashed"
  | "inference_failed"
  | "model_not_ready"
  | "model_load_failed"
  | "shutting_down";

/** A serving failure callers branch on by `code`; `retryAfterSeconds` is set for `overloaded`. */
export class ServingError extends Error {
  override readonly name = "ServingError";
  readonly code: ServingErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ServingErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isServingError(error: unknown, code?: ServingErrorCode): error is ServingError {
  return error instanceof ServingError && (code === undefined || error.code === code);
}
