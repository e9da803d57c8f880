import type { MiddlewareHandler } from "hono";
import type { RateLimiter } from "../../rate-limit/rate-limiter.js";
import type { BucketPolicy } from "../../rate-limit/token-bucket.js";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";

export interface RateLimitOptions {
  readonly limiter: RateLimiter;
  /** The bucket policy of a verified issuer. */
  readonly policyFor: (issuer: string) => BucketPolicy;
}

/** Per-issuer token bucket after authentication: 429 with Retry-After and RateLimit-* headers. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const issuer = c.var.asap.iss;
    const policy = options.policyFor(issuer);
    const decision = await options.limiter.consume(issuer, policy);
    const headers = {
      "RateLimit-Limit": String(policy.burst),
      "RateLimit-Remaining": String(decision.remaining),
      "RateLimit-Reset": String(decision.resetSeconds),
      "RateLimit-Policy": `${policy.burst};w=${Math.ceil(policy.burst / policy.ratePerSecond)}`,
    };
    if (!decision.allowed) {
      throw new ApiError(
        429,
        "rate_limited",
        `Issuer "${issuer}" is over its rate limit; retry later.`,
        {
          ...headers,
          "Retry-After": String(decision.retryAfterSeconds),
        },
      );
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  };
}
