import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isAsapError } from "../asap/errors.js";
import { isServingError } from "../serving/serving-error.js";

/** An error with everything needed to answer it: status, stable code, safe message, extra headers. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** A body the client stopped sending (it closed the connection): its fault, not a server error. */
export function incompleteBodyError(): ApiError {
  // The same answer as a body that does not parse: nobody reads it, but logs and metrics do.
  return new ApiError(400, "invalid_json", "The body ended before it was complete.");
}

export interface ErrorBody {
  error: string;
  message: string;
  request_id: string;
  details?: unknown;
}

const AUTH_REALM = "sentiment-api";

/** ASAP codes that are not the caller's fault: the service cannot check the token right now. */
const ASAP_UNAVAILABLE = new Set(["key_repository_unavailable", "replay_store_unavailable"]);

/** Client-facing wording of serving failures (internal details stay in the logs). */
const SERVING_MESSAGES: Readonly<Record<string, string>> = {
  // "A new token": these come after authentication, which spent this one (replay protection).
  overloaded: "The service is at capacity; retry with a new token after the delay in Retry-After.",
  deadline_exceeded: "The request could not be scored in time; retry later with a new token.",
  inference_worker_crashed:
    "The inference worker scoring this request failed; retry with a new token.",
  inference_failed: "The model failed to score this request; retry with a new token.",
  model_not_ready: "The model is still loading.",
  model_load_failed: "The model could not be loaded.",
  shutting_down: "The service is shutting down; retry on another instance with a new token.",
};

/** The one place where errors of every module become HTTP answers. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isAsapError(error)) {
    if (error.code === "issuer_not_allowed") return new ApiError(403, error.code, error.message);
    if (ASAP_UNAVAILABLE.has(error.code)) {
      return new ApiError(503, error.code, error.message, { "Retry-After": "1" });
    }
    return new ApiError(401, error.code, error.message, {
      "WWW-Authenticate": bearerChallenge(error.code, error.message),
    });
  }
  if (isServingError(error)) {
    const retryAfter = String(Math.max(1, Math.ceil(error.retryAfterSeconds ?? 1)));
    const message = SERVING_MESSAGES[error.code] ?? "The model could not score this request.";
    return new ApiError(503, error.code, message, { "Retry-After": retryAfter });
  }
  return new ApiError(500, "internal_error", "The server failed to handle this request.");
}

/** RFC 6750 challenge: no error attribute when no token was sent at all. */
export function bearerChallenge(code: string, description: string): string {
  if (code === "missing_token") return `Bearer realm="${AUTH_REALM}"`;
  const safe = description.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, "?");
  return `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${safe}"`;
}
