import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { RedisRateLimiter } from "../../src/rate-limit/redis-rate-limiter.js";
import { TEST_REDIS_URL } from "../support/service-urls.js";

describe("RedisRateLimiter", () => {
  const prefix = `test:ratelimit:${randomUUID()}:`;
  // A generous timeout: on a starved machine the default 500 ms can pass before Redis answers,
  // and the limiter then (rightly) falls back to its own bucket, which these tests do not test.
  const options = { keyPrefix: prefix, commandTimeoutMs: 5_000 };
  const first = new RedisRateLimiter(TEST_REDIS_URL, options);
  const second = new RedisRateLimiter(TEST_REDIS_URL, options);
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it("shares one bucket per key between two limiters (two processes or replicas)", async () => {
    const policy = { ratePerSecond: 0.001, burst: 4 };
    const outcomes: boolean[] = [];
    for (const limiter of [first, second, first, second, first]) {
      outcomes.push((await limiter.consume("shared-issuer", policy)).allowed);
    }
    expect(outcomes).toEqual([true, true, true, true, false]);
  });

  it("keeps keys apart", async () => {
    const policy = { ratePerSecond: 0.001, burst: 1 };
    expect((await first.consume("issuer-a", policy)).allowed).toBe(true);
    expect((await first.consume("issuer-b", policy)).allowed).toBe(true);
    expect((await second.consume("issuer-a", policy)).allowed).toBe(false);
  });

  it("falls back to a per-process bucket when Redis is unreachable", async () => {
    const fallbacks: unknown[] = [];
    const unreachable = new RedisRateLimiter("redis://127.0.0.1:1/0", {
      onFallback: (error) => fallbacks.push(error),
    });
    try {
      const policy = { ratePerSecond: 0.001, burst: 1 };
      expect((await unreachable.consume("k", policy)).allowed).toBe(true);
      expect((await unreachable.consume("k", policy)).allowed).toBe(false);
      expect(fallbacks.length).toBe(2);
    } finally {
      await unreachable.close();
    }
  });
});
