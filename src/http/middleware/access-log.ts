import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "../env.js";

/** One log line per request: id, caller, route, status, latency. Never headers or bodies. */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const claims = c.get("asap");
    const failure = c.get("authFailure");
    logger.info(
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
