/** A token bucket's limits: refills `ratePerSecond` tokens per second up to `burst`. */
export interface BucketPolicy {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export interface BucketState {
  readonly tokens: number;
  /** When `tokens` was computed, in milliseconds. */
  readonly updatedAtMs: number;
}

export interface BucketDecision {
  readonly allowed: boolean;
  readonly state: BucketState;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Seconds until one token is available again (0 when allowed). */
  readonly retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
}

/** Takes one token if there is one; pure, so every store (memory, Redis script) agrees. */
export function takeToken(
  state: BucketState | undefined,
  policy: BucketPolicy,
  nowMs: number,
): BucketDecision {
  const elapsedSeconds = state ? Math.max(0, nowMs - state.updatedAtMs) / 1000 : 0;
  const available = state
    ? Math.min(policy.burst, state.tokens + elapsedSeconds * policy.ratePerSecond)
    : policy.burst;
  const allowed = available >= 1;
  return describeBucket(allowed, allowed ? available - 1 : available, policy, nowMs);
}

/** The decision for a bucket left with `tokens` after a request was allowed or not. */
export function describeBucket(
  allowed: boolean,
  tokens: number,
  policy: BucketPolicy,
  nowMs: number,
): BucketDecision {
  return {
    allowed,
    state: { tokens, updatedAtMs: nowMs },
    remaining: Math.floor(tokens),
    retryAfterSeconds: allowed ? 0 : Math.ceil((1 - tokens) / policy.ratePerSecond),
    resetSeconds: Math.ceil((policy.burst - tokens) / policy.ratePerSecond),
  };
}
