import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { redisConnectionOptions } from "../../redis/connection-options.js";
import { AsapError } from "../errors.js";
import type { ReplayGuard } from "./replay-guard.js";

export interface RedisReplayGuardOptions {
  /** Prefix of every key, so several services can share one Redis. Default "sentiment-api:jti:". */
  keyPrefix?: string;
  /** Longest wait for one Redis reply before refusing the token. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Longest wait to open a connection. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Upper bound of the delay between reconnection attempts. Default 2000 ms. */
  maxReconnectDelayMs?: number;
  /** Milliseconds since the epoch. */
  clock?: () => number;
  /** Told about connection errors (the guard itself keeps going and reconnects). */
  onConnectionError?: (error: Error) => void;
}

/** The Redis key of an (issuer, jti) pair: fixed length, and no two pairs share one. */
export function replayKey(prefix: string, issuer: string, jti: string): string {
  // Length-prefixed before hashing so ("a/b", "c") and ("a", "b/c") differ; hashing keeps keys
  // short whatever the token carries.
  const digest = createHash("sha256").update(`${issuer.length}:${issuer}${jti}`).digest("hex");
  return `${prefix}${digest}`;
}

/**
 * Replay protection shared by every replica: each (issuer, jti) is claimed with one atomic
 * `SET key 1 NX PX <ms until expiry>`, so whichever replica sees a token first wins and all others
 * refuse it until it expires.
 *
 * Fails closed and fast: while Redis is unreachable or slow, commands are not queued (no offline
 * queue, no per-request retries, a bounded command timeout) and tokens are refused with
 * `replay_store_unavailable`. The client reconnects in the background and the guard works again
 * as soon as Redis answers, without being recreated.
 */
export class RedisReplayGuard implements ReplayGuard {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly clock: () => number;
  private readonly commandTimeoutMs: number;
  private closed = false;
  /** The wait for the connection being opened, shared by every request that arrives meanwhile. */
  private connecting: Promise<void> | undefined;

  constructor(url: string, options: RedisReplayGuardOptions = {}) {
    this.keyPrefix = options.keyPrefix ?? "sentiment-api:jti:";
    this.clock = options.clock ?? Date.now;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2000;
    this.redis = new Redis({
      ...redisConnectionOptions(url),
      commandTimeout: this.commandTimeoutMs,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Never give up reconnecting: the process must recover on its own once Redis is back.
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxReconnectDelayMs),
      lazyConnect: false,
    });
    // Without a listener ioredis reports every failed reconnect as an unhandled error event.
    this.redis.on("error", (error: Error) => options.onConnectionError?.(error));
  }

  async checkAndRemember(issuer: string, jti: string, expiresAtSeconds: number): Promise<void> {
    if (!Number.isFinite(expiresAtSeconds)) {
      throw new AsapError("invalid_claim", "the token expiry is not a number", { issuer });
    }
    // A TTL from this replica's clock rather than PXAT: the replica's clock decides whether the
    // token is still valid, so Redis's own clock (possibly skewed) must not shorten the memory.
    const ttlMs = Math.ceil(expiresAtSeconds * 1000 - this.clock());
    if (ttlMs <= 0) return; // Already expired: nothing to protect against.
    if (this.closed) {
      throw new AsapError("replay_store_unavailable", "the replay store is closed", { issuer });
    }
    let reply: string | null;
    try {
      await this.connected();
      reply = await this.redis.set(replayKey(this.keyPrefix, issuer, jti), "1", "PX", ttlMs, "NX");
    } catch (cause) {
      throw new AsapError("replay_store_unavailable", "the replay store did not answer", {
        issuer,
        cause,
      });
    }
    if (reply === null) {
      throw new AsapError("token_replayed", "this jti was already used", { issuer });
    }
  }

  /**
   * Waits, at most one command timeout, for a connection that is being opened (just after start
   * or while a reconnection attempt is under way); fails at once when none is. Requests that
   * arrive meanwhile share one wait (one pair of listeners, however many are in flight).
   */
  private connected(): Promise<void> {
    const status = this.redis.status;
    if (status === "ready") return Promise.resolve();
    if (status !== "connecting" && status !== "connect" && status !== "wait") {
      return Promise.reject(new Error(`Redis connection is ${status}`));
    }
    this.connecting ??= new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.redis.off("ready", onReady).off("close", onClose);
        this.connecting = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = () => settle();
      const onClose = () => settle(new Error("Redis connection closed"));
      const timer = setTimeout(
        () => settle(new Error("Redis connection not ready in time")),
        this.commandTimeoutMs,
      );
      this.redis.once("ready", onReady).once("close", onClose);
    });
    return this.connecting;
  }

  /** True when Redis answers a PING within the command timeout (for readiness probes). */
  async isAvailable(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.connected();
      return (await this.redis.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  /** Closes the connection and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
