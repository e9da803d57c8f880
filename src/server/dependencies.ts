// Builds the service's dependencies from the configuration (the pieces startService wires).
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import type { PublicKeyRepository } from "../asap/keys/repository.js";
import { MemoryReplayGuard } from "../asap/replay/memory-replay-guard.js";
import { RedisReplayGuard } from "../asap/replay/redis-replay-guard.js";
import type { ReplayGuard } from "../asap/replay/replay-guard.js";
import {
  createCachingAsapVerifier,
  type TokenCacheLookup,
  VerifiedTokenCache,
} from "../asap/verified-token-cache.js";
import { createAsapVerifier } from "../asap/verify.js";
import type { AppConfig } from "../config/schema.js";
import { shareWorkerMetrics } from "../metrics/cluster-metrics.js";
import {
  MetricsServerError,
  type RunningMetricsServer,
  startMetricsServer,
} from "../metrics/metrics-server.js";
import type { ServiceMetrics } from "../metrics/service-metrics.js";
import { MemoryRateLimiter, type RateLimiter } from "../rate-limit/rate-limiter.js";
import { RedisRateLimiter } from "../rate-limit/redis-rate-limiter.js";
import type { BucketPolicy } from "../rate-limit/token-bucket.js";
import { StartupError } from "./startup-error.js";

/** Label-threshold overrides from the config, when both are set. */
export function thresholdOverride(config: AppConfig) {
  const { negativeBelow, positiveAbove } = config.model;
  return negativeBelow !== null && positiveAbove !== null
    ? { thresholds: { negativeBelow, positiveAbove } }
    : {};
}

/** Inference threads per process: configured, or the cores shared among the HTTP processes. */
export function inferenceWorkerCount(config: AppConfig): number {
  if (config.inference.workers > 0) return config.inference.workers;
  return Math.max(1, Math.floor(availableParallelism() / config.server.workers));
}

/** Per-issuer override, else the default rate-limit policy. */
export function issuerPolicy(config: AppConfig): (issuer: string) => BucketPolicy {
  const fallback = {
    ratePerSecond: config.rateLimit.requestsPerSecond,
    burst: config.rateLimit.burst,
  };
  // Built once: the same policy object for every request of an issuer.
  const overrides = new Map<string, BucketPolicy>(
    Object.entries(config.rateLimit.issuers).map(([issuer, override]) => [
      issuer,
      { ratePerSecond: override.requestsPerSecond, burst: override.burst },
    ]),
  );
  return (issuer) => overrides.get(issuer) ?? fallback;
}

// During an outage a store fails many times a second (every request, every reconnect attempt).
const OUTAGE_REPORT_INTERVAL_MS = 10_000;

/** Calls `report` at most once per `intervalMs`; calls in between are dropped. */
function atMostEvery<T>(intervalMs: number, report: (value: T) => void): (value: T) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (value) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    report(value);
  };
}

/** The jti store: none when replay protection is off, Redis when shared, else this process's memory. */
export function createReplayGuard(config: AppConfig, logger: Logger) {
  if (!config.asap.replayProtection) return null;
  if (config.asap.replayStore === "memory") {
    return new MemoryReplayGuard({ maxEntries: config.asap.replayMaxEntries });
  }
  return new RedisReplayGuard(config.asap.replayStore, {
    onConnectionError: atMostEvery(OUTAGE_REPORT_INTERVAL_MS, (error: Error) =>
      logger.error(
        { err: error.message },
        "replay store (Redis) unreachable: refusing tokens until it is back",
      ),
    ),
  });
}

/**
 * The ASAP verifier the config describes, over the given key repository and replay store; with
 * replay protection off, reused tokens are served from a verified-token cache (when sized > 0).
 */
export function createTokenVerifier(
  config: AppConfig,
  keyRepository: PublicKeyRepository,
  replayGuard: ReplayGuard | null,
  onCacheLookup?: (result: TokenCacheLookup) => void,
) {
  const options = {
    keyRepository,
    audience: config.asap.audience,
    ...(config.asap.validIssuers.length > 0 ? { validIssuers: config.asap.validIssuers } : {}),
    leewaySeconds: config.asap.leewaySeconds,
    maxLifetimeSeconds: config.asap.maxLifetimeSeconds,
  };
  if (replayGuard === null && config.asap.tokenCacheMaxEntries > 0) {
    return createCachingAsapVerifier({
      ...options,
      replayGuard,
      tokenCache: new VerifiedTokenCache(config.asap.tokenCacheMaxEntries),
      ...(onCacheLookup ? { onCacheLookup } : {}),
    });
  }
  return createAsapVerifier({ ...options, replayGuard });
}

/** Per-issuer buckets in this process, or shared through Redis; null when rate limits are off. */
export function createRateLimiter(config: AppConfig, logger: Logger): RateLimiter | null {
  if (!config.rateLimit.enabled) return null;
  if (config.rateLimit.store === "memory") return new MemoryRateLimiter();
  return new RedisRateLimiter(config.rateLimit.store, {
    onFallback: atMostEvery(OUTAGE_REPORT_INTERVAL_MS, (error: unknown) =>
      logger.warn(
        { err: String(error) },
        "rate-limit store (Redis) unreachable: limiting per process",
      ),
    ),
  });
}

/**
 * A single process serves its own /metrics; a cluster worker hands its registry to the primary,
 * which serves the sum (so a scrape never lands on one random worker).
 */
export async function startServiceMetricsServer(
  config: AppConfig,
  metrics: ServiceMetrics,
): Promise<RunningMetricsServer | undefined> {
  if (!config.metrics.enabled) return undefined;
  if (cluster.isWorker) {
    shareWorkerMetrics(metrics.registry);
    return undefined;
  }
  try {
    return await startMetricsServer({
      host: config.metrics.host,
      port: config.metrics.port,
      registry: metrics.registry,
    });
  } catch (error) {
    if (error instanceof MetricsServerError) throw new StartupError(error.message);
    throw error;
  }
}
