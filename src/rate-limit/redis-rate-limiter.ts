import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { createFailFastRedis } from "../redis/fail-fast-client.js";
import { MemoryRateLimiter, type RateLimiter } from "./rate-limiter.js";
import { type BucketDecision, type BucketPolicy, describeBucket } from "./token-bucket.js";

// The same refill rule as takeToken, run atomically in Redis on Redis's own clock so that every
// process and replica shares one bucket per issuer.
const TAKE_TOKEN_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
tokens = math.min(burst, tokens + math.max(0, now - updated) / 1000 * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`;

export interface RedisRateLimiterOptions {
  readonly keyPrefix?: string;
  readonly commandTimeoutMs?: number;
  /** Told when Redis fails and this process falls back to its own buckets. */
  readonly onFallback?: (error: unknown) => void;
}

/**
 * Token buckets shared through Redis. While Redis is unreachable each process limits on its own
 * (a degraded but still bounded limit) instead of refusing everyone: rate limiting protects
 * capacity, it is not an authentication check.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly fallback = new MemoryRateLimiter();
  private readonly keyPrefix: string;

  constructor(
    url: string,
    private readonly options: RedisRateLimiterOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? "sentiment-api:ratelimit:";
    const timeoutMs = options.commandTimeoutMs ?? 500;
    // ioredis's own connect timeout (10 s): the first connection is awaited separately below.
    this.redis = createFailFastRedis(url, {
      commandTimeoutMs: timeoutMs,
      connectTimeoutMs: 10_000,
    });
    this.redis.defineCommand("takeToken", { numberOfKeys: 1, lua: TAKE_TOKEN_SCRIPT });
    this.firstConnection = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Redis not ready in time")), timeoutMs);
      this.redis.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.firstConnection.catch(() => {});
  }

  /** Settles once the first connection is up (or has taken too long); later outages don't wait. */
  private readonly firstConnection: Promise<void>;

  async consume(key: string, policy: BucketPolicy): Promise<BucketDecision> {
    const redisKey = this.keyPrefix + createHash("sha256").update(key).digest("hex");
    try {
      if (this.redis.status !== "ready") await this.firstConnection;
      const [allowed, tokens] = (await (
        this.redis as unknown as {
          takeToken(key: string, rate: number, burst: number): Promise<[number, string]>;
        }
      ).takeToken(redisKey, policy.ratePerSecond, policy.burst)) ?? [0, "0"];
      return describeBucket(allowed === 1, Number(tokens), policy, Date.now());
    } catch (error) {
      this.options.onFallback?.(error);
      return this.fallback.consume(key, policy);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }
}
