import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.js";
import { ApiError, incompleteBodyError } from "../errors.js";

/**
 * 413 for bodies over `maxBytes`. A declared Content-Length is checked from the header alone (the
 * HTTP parser then delivers no more than that), which keeps the Node adapter's fast path; only a
 * chunked body is counted as it streams in, by Hono's bodyLimit.
 */
export function bodySizeLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new ApiError(413, "payload_too_large", `The body exceeds ${maxBytes} bytes.`);
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (!/^\d+$/.test(length) || Number(length) > maxBytes) tooLarge();
      return next();
    }
    let reachedNext = false;
    try {
      return await streamed(c, () => {
        reachedNext = true;
        return next();
      });
    } catch (error) {
      // Before next() the streamed check only reads the body, so a failure there is the client
      // closing the connection mid-body (ECONNRESET), not a server error.
      if (reachedNext || error instanceof ApiError) throw error;
      throw incompleteBodyError();
    }
  };
}
