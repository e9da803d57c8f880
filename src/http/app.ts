import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import type { VerifiedAsapClaims } from "../asap/verify.js";
import { httpMetrics } from "../metrics/http-metrics.js";
import type { ServiceMetrics } from "../metrics/service-metrics.js";
import { allowedMethodsOf } from "./allowed-methods.js";
import type { AppEnv } from "./env.js";
import { ApiError, type ErrorBody, toApiError } from "./errors.js";
import { inferenceProtocolPaths, inferenceProtocolSchemas } from "./inference-protocol-openapi.js";
import { accessLog } from "./middleware/access-log.js";
import { asapAuth } from "./middleware/asap-auth.js";
import { bodySizeLimit } from "./middleware/body-size-limit.js";
import { type RateLimitOptions, rateLimit } from "./middleware/rate-limit.js";
import { requestId } from "./middleware/request-id.js";
import { buildOpenApiDocument } from "./openapi.js";
import { docsRoutes } from "./routes/docs.js";
import { healthRoutes, type ReadinessProbe } from "./routes/health.js";
import { inferenceProtocolRoutes } from "./routes/inference-protocol.js";
import { modelRoutes } from "./routes/models.js";
import {
  type ScoredTextListener,
  type SentimentScorer,
  sentimentRoutes,
} from "./routes/sentiment.js";
import { whoamiRoutes } from "./routes/whoami.js";
import type { RequestLimits } from "./schemas.js";

export interface AppDependencies {
  readonly logger: Logger;
  /** Verifies an ASAP bearer token (the protocol core, already configured). */
  readonly verifyToken: (token: string) => Promise<VerifiedAsapClaims>;
  readonly readiness: ReadinessProbe;
  readonly scorer: SentimentScorer;
  readonly limits: RequestLimits & { readonly bodyLimitBytes: number };
  readonly onScored?: ScoredTextListener;
  /** Per-issuer rate limits; absent means unlimited. */
  readonly rateLimit?: RateLimitOptions | undefined;
  readonly metrics?: ServiceMetrics | undefined;
  /** Name and version reported by the inference protocol's server metadata. */
  readonly server: { readonly name: string; readonly version: string };
}

/** Builds the HTTP app from its dependencies; nothing here reads config or globals. */
export function createApp(deps: AppDependencies): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestId());
  if (deps.metrics) app.use("*", httpMetrics(deps.metrics));
  app.use("*", accessLog(deps.logger));

  app.route("/", healthRoutes(deps.readiness));

  // /v1 and /v2 share one authentication and one rate-limit middleware.
  const authenticate = asapAuth({ verify: deps.verifyToken });
  const limitRate = deps.rateLimit ? rateLimit(deps.rateLimit) : undefined;

  const v1 = new Hono<AppEnv>();
  v1.use("*", authenticate);
  if (limitRate) v1.use("*", limitRate);
  v1.use("*", bodySizeLimit(deps.limits.bodyLimitBytes));
  v1.route("/", whoamiRoutes());
  v1.route("/", sentimentRoutes(deps.scorer, deps.limits, deps.onScored));
  v1.route("/", modelRoutes(deps.scorer));
  app.route("/v1", v1);

  app.route(
    "/",
    inferenceProtocolRoutes(deps.scorer, {
      auth: authenticate,
      rateLimit: limitRate,
      limits: deps.limits,
      isReady: () => deps.readiness().ready,
      server: deps.server,
      onScored: deps.onScored,
      onInternalError: (err, request_id) =>
        deps.logger.error({ err, request_id }, "unhandled error"),
    }),
  );

  app.route(
    "/",
    docsRoutes(
      buildOpenApiDocument({
        limits: deps.limits,
        rateLimited: deps.rateLimit !== undefined,
        version: deps.server.version,
        extraPaths: inferenceProtocolPaths(),
        extraSchemas: inferenceProtocolSchemas(),
      }),
    ),
  );

  const allowedMethods = allowedMethodsOf(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      const allow = allowed.join(", ");
      return errorResponse(
        c,
        new ApiError(405, "method_not_allowed", `${c.req.path} answers ${allow}.`, {
          Allow: allow,
        }),
      );
    }
    return errorResponse(
      c,
      new ApiError(404, "not_found", `No route for ${c.req.method} ${c.req.path}.`),
    );
  });
  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.code === "internal_error") {
      deps.logger.error({ err: error, request_id: c.get("requestId") }, "unhandled error");
    }
    return errorResponse(c, apiError);
  });
  return app;
}

function errorResponse(c: Context<AppEnv>, apiError: ApiError): Response {
  const body: ErrorBody = {
    error: apiError.code,
    message: apiError.message,
    request_id: c.get("requestId"),
    ...(apiError.details === undefined ? {} : { details: apiError.details }),
  };
  for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
  return c.json(body, apiError.status);
}
