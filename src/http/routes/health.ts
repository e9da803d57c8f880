import { Hono } from "hono";
import type { AppEnv } from "../env.js";

/** What `/readyz` reports: ready only when every named check passes. */
export type ReadinessProbe = () => { ready: boolean; checks: Record<string, string> };

/** Unauthenticated liveness and readiness probes. */
export function healthRoutes(readiness: ReadinessProbe): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", (c) => {
      const { ready, checks } = readiness();
      return c.json({ status: ready ? "ready" : "not_ready", checks }, ready ? 200 : 503);
    });
}
