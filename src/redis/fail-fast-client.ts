import { Redis } from "ioredis";
import { redisConnectionOptions } from "./connection-options.js";

export interface FailFastRedisOptions {
  /** Longest wait for one reply. */
  readonly commandTimeoutMs: number;
  /** Longest wait to open a connection. Default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /** Upper bound of the delay between reconnection attempts. Default 2000 ms. */
  readonly maxReconnectDelayMs?: number;
  /** Told about connection errors; the client keeps reconnecting on its own. */
  readonly onConnectionError?: (error: Error) => void;
}

/**
 * A Redis client for the request path: commands are never queued while disconnected and never
 * retried (a caller gets an error at once and decides), and the client reconnects forever in the
 * background so the service recovers without a restart.
 */
export function createFailFastRedis(url: string, options: FailFastRedisOptions): Redis {
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2000;
  const redis = new Redis({
    ...redisConnectionOptions(url),
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxReconnectDelayMs),
  });
  // Without a listener ioredis reports every failed reconnect as an unhandled error event.
  redis.on("error", (error: Error) => options.onConnectionError?.(error));
  return redis;
}
