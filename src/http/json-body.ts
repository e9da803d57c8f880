import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, incompleteBodyError } from "./errors.js";
import { quickCheckOf } from "./schemas.js";

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

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
