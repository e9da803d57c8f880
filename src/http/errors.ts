import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isAsapError } from "../asap/errors.js";

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

export interface ErrorBody {
  error: string;
  message: string;
  request_id: string;
  details?: unknown;
}

const AUTH_REALM = "sentiment-api";

/** ASAP codes that are not the caller's fault: the service cannot check the token right now. */
const ASAP_UNAVAILABLE = new Set(["key_repository_unavailable", "replay_store_unavailable"]);

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
  return new ApiError(500, "internal_error", "The server failed to handle this request.");
}

/** RFC 6750 challenge: no error attribute when no token was sent at all. */
export function bearerChallenge(code: string, description: string): string {
  if (code === "missing_token") return `Bearer realm="${AUTH_REALM}"`;
  const safe = description.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, "?");
  return `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${safe}"`;
}
