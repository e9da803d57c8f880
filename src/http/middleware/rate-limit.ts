import type { MiddlewareHandler } from "hono";
import type { RateLimiter } from "../../rate-limit/rate-limiter.js";
import type { BucketPolicy } from "../../rate-limit/token-bucket.js";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { setResponseHeader } from "../response-headers.js";

export interface RateLimitOptions {
  readonly limiter: RateLimiter;
  /** The bucket policy of a verified issuer. */
  readonly policyFor: (issuer: string) => BucketPolicy;
}

/** The headers of a policy that do not change from request to request. */
interface PolicyHeaders {
  readonly limit: string;
  readonly policy: string;
}

/** Per-issuer token bucket after authentication: 429 with Retry-After and RateLimit-* headers. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  // Issuers share a few policy objects: their header strings are built once per policy.
  const policyHeaders = new WeakMap<BucketPolicy, PolicyHeaders>();
  const headersOf = (policy: BucketPolicy): PolicyHeaders => {
    let headers = policyHeaders.get(policy);
    if (headers === undefined) {
      headers = {
        limit: String(policy.burst),
        policy: `${policy.burst};w=${Math.ceil(policy.burst / policy.ratePerSecond)}`,
      };
      policyHeaders.set(policy, headers);
    }
    return headers;
  };
  return async (c, next) => {
    const issuer = c.get("asap").iss;
    const policy = options.policyFor(issuer);
    const decision = await options.limiter.consume(issuer, policy);
    const fixed = headersOf(policy);
    if (!decision.allowed) {
      // The token is used up (replay protection recorded its jti): resending it would be 401.
      throw new ApiError(
        429,
        "rate_limited",
        `Issuer "${issuer}" is over its rate limit; retry with a new token after the delay in Retry-After.`,
        {
          "RateLimit-Limit": fixed.limit,
          "RateLimit-Remaining": String(decision.remaining),
          "RateLimit-Reset": String(decision.resetSeconds),
          "RateLimit-Policy": fixed.policy,
          "Retry-After": String(decision.retryAfterSeconds),
        },
      );
    }
    setResponseHeader(c, "RateLimit-Limit", fixed.limit);
    setResponseHeader(c, "RateLimit-Remaining", String(decision.remaining));
    setResponseHeader(c, "RateLimit-Reset", String(decision.resetSeconds));
    setResponseHeader(c, "RateLimit-Policy", fixed.policy);
    await next();
  };
}
