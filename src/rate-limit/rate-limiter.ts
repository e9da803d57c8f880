import {
  type BucketDecision,
  type BucketPolicy,
  type BucketState,
  takeToken,
} from "./token-bucket.js";

/** Per-key token buckets; implementations share or keep the buckets. */
export interface RateLimiter {
  consume(key: string, policy: BucketPolicy): Promise<BucketDecision>;
  close(): Promise<void>;
}

export interface MemoryRateLimiterOptions {
  /** Buckets kept at most; the least recently used are forgotten (a forgotten bucket is full). */
  readonly maxKeys?: number;
  readonly clock?: () => number;
}

/** Buckets in this process only: exact for one process, per-process with WORKERS > 1. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  private readonly maxKeys: number;
  private readonly clock: () => number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.maxKeys = options.maxKeys ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  async consume(key: string, policy: BucketPolicy): Promise<BucketDecision> {
    const decision = takeToken(this.buckets.get(key), policy, this.clock());
    // Re-insert so Map order is least-recently-used first.
    this.buckets.delete(key);
    this.buckets.set(key, decision.state);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return decision;
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}
