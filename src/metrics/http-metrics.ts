import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../http/env.js";
import { routeLabel } from "./bounded-labels.js";
import type { ServiceMetrics } from "./service-metrics.js";

/**
 * Records every request's count and duration by route pattern, method and status, and the ASAP
 * outcome the auth middleware left in the context (refusal code or verified issuer). Mount it
 * first (`app.use("*", ...)`) so that it sees the final status, errors included.
 */
export function httpMetrics(metrics: ServiceMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // Hono turns handler errors into responses below this middleware, so c.res is final here.
      metrics.recordHttpRequest({
        route: routeLabel(matchedRoutes(c)),
        method: c.req.method,
        status: c.res.status,
        durationSeconds: (performance.now() - started) / 1000,
      });
      const failure = c.get("authFailure");
      if (failure !== undefined) metrics.recordAsapRefusal(failure.code);
      const claims = c.get("asap");
      if (claims !== undefined) metrics.recordAsapAuthenticated(claims.iss);
    }
  };
}
