import { AsapError } from "../errors.js";
import { ExpiryQueue } from "./expiry-queue.js";
import type { ReplayGuard } from "./replay-guard.js";

export interface MemoryReplayGuardOptions {
  /** Most (issuer, jti) pairs remembered at once. Default 100 000. */
  maxEntries?: number;
  /** Milliseconds since the epoch. */
  clock?: () => number;
}

/**
 * Replay protection for a single process. Each (issuer, jti) is remembered until the expiry the
 * verifier passes (exp + leeway); expired entries are dropped first, cheapest-first via a heap.
 *
 * When the store is full of unexpired entries it FAILS CLOSED: new tokens are refused with
 * `replay_store_unavailable` rather than forgetting a jti that could then be replayed. Memory is
 * bounded by `maxEntries`; only tokens that passed every other check reach the guard, so filling it
 * takes a signing key, and the flood drains on its own as those tokens expire.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();
  private readonly expiries = new ExpiryQueue();
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: MemoryReplayGuardOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError("maxEntries must be a positive integer");
    }
    this.clock = options.clock ?? Date.now;
  }

  /** Number of remembered (issuer, jti) pairs, expired ones included until swept. */
  get size(): number {
    return this.seen.size;
  }

  async checkAndRemember(issuer: string, jti: string, expiresAtSeconds: number): Promise<void> {
    const now = this.clock() / 1000;
    this.forgetExpired(now);
    // Length-prefixed so ("a/b", "c") and ("a", "b/c") never collide.
    const key = `${issuer.length}:${issuer}${jti}`;
    const remembered = this.seen.get(key);
    if (remembered !== undefined && remembered >= now) {
      throw new AsapError("token_replayed", "this jti was already used", { issuer });
    }
    if (expiresAtSeconds < now) return; // Already expired: nothing to protect against.
    if (this.seen.size >= this.maxEntries) {
      throw new AsapError(
        "replay_store_unavailable",
        "the replay store is full of unexpired token ids",
        { issuer },
      );
    }
    this.seen.set(key, expiresAtSeconds);
    this.expiries.push(expiresAtSeconds, key);
  }

  private forgetExpired(now: number): void {
    for (let time = this.expiries.peekTime(); time !== undefined && time < now; ) {
      const key = this.expiries.pop();
      if (key !== undefined && (this.seen.get(key) ?? Number.POSITIVE_INFINITY) < now) {
        this.seen.delete(key);
      }
      time = this.expiries.peekTime();
    }
  }
}
