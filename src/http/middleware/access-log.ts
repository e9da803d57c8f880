import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "../env.js";

/**
 * One log line per request: id, caller, route, status, latency. Never headers or bodies.
 *
 * The line holds only the fields below, none of them a secret, so it is written by a child logger
 * without the service logger's redaction: redacting paths such as `*.token` cost more than the
 * rest of the line (about 6 of 11 µs a line in a scratch measurement).
 */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  const access = logger.child({}, { redact: { paths: [] } });
  return async (c, next) => {
    const started = performance.now();
    await next();
    const claims = c.get("asap");
    const failure = c.get("authFailure");
    access.info(
      {
        request_id: c.get("requestId"),
        method: c.req.method,
        route: c.req.routePath,
        path: c.req.path,
        status: c.res.status,
        latency_ms: Math.round((performance.now() - started) * 100) / 100,
        iss: claims?.iss ?? failure?.issuer,
        sub: claims?.sub,
        kid: claims?.kid ?? failure?.kid,
        auth_error: failure?.code,
      },
      "request",
    );
  };
}
