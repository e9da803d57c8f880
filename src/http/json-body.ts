import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, incompleteBodyError } from "./errors.js";
import { quickCheckOf } from "./schemas.js";

/** `application/json` or a `+json` type, with or without parameters. */
export const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET_PARAMETER = /;\s*charset\s*=\s*"?([^";\s]*)/i;
// JSON is UTF-8 (RFC 8259 §8.1); US-ASCII is a subset of it.
const UTF8_CHARSET = /^(?:utf-?8|us-ascii)$/i;
const IDENTITY_CODING = /^\s*(?:identity)?\s*$/i;

/**
 * 415 for a body the service would misread: compressed (RFC 9110 §8.4.1), or declared in a
 * charset other than UTF-8 (its bytes would be decoded as UTF-8). Headers only, no body bytes;
 * `contentType` is the Content-Type the caller has already read.
 */
export function checkBodyEncoding(c: Context, contentType: string | undefined): void {
  const coding = c.req.header("content-encoding");
  if (coding !== undefined && !IDENTITY_CODING.test(coding)) {
    throw new ApiError(
      415,
      "unsupported_content_encoding",
      "The body must be sent uncompressed (no Content-Encoding).",
      { "Accept-Encoding": "identity" },
    );
  }
  const charset = CHARSET_PARAMETER.exec(contentType ?? "")?.[1];
  if (charset !== undefined && !UTF8_CHARSET.test(charset)) {
    throw new ApiError(415, "unsupported_charset", "The body must be UTF-8 (charset=utf-8).");
  }
}

/** Reads the request body as JSON and validates it; every failure is a 4xx ApiError. */
export async function readJsonBody<T extends z.ZodType>(
  c: Context,
  schema: T,
): Promise<z.infer<T>> {
  const contentType = c.req.header("content-type") ?? "";
  if (!JSON_MEDIA_TYPE.test(contentType)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "The body must be JSON, sent with Content-Type: application/json.",
    );
  }
  checkBodyEncoding(c, contentType);
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw incompleteBodyError();
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The media type was right: a body that does not parse is a bad request (400), not 415.
    throw new ApiError(400, "invalid_json", "The body is not valid JSON.");
  }
  if (quickCheckOf(schema)?.(body) === true) return body as z.infer<T>;
  const result = schema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join(".") || "(body)",
      message: issue.message,
    }));
    const first = issues[0];
    throw new ApiError(
      400,
      "invalid_request",
      first ? `${first.path}: ${first.message}` : "The request body is invalid.",
      {},
      { issues },
    );
  }
  return result.data;
}
