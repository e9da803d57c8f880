import { AsapError } from "../errors.js";
import { ExpiryQueue } from "./expiry-queue.js";
import type { ReplayGuard } from "./replay-guard.js";

/**
 * Enough for a sustained 10,000 fresh tokens a second living 60 s (+30 s leeway), in about
 * 110 MB when full. A guard holds rate x (token lifetime + leeway) entries.
 */
export const DEFAULT_MAX_REPLAY_ENTRIES = 1_000_000;

export interface MemoryReplayGuardOptions {
  /** Most (issuer, jti) pairs remembered at once. Default DEFAULT_MAX_REPLAY_ENTRIES. */
  maxEntries?: number;
  /** Milliseconds since the epoch. */
  clock?: () => number;
}

/** The jtis one issuer used, until their expiry. */
interface IssuerJtis {
  readonly expiresAt: Map<string, number>;
  readonly expiries: ExpiryQueue;
}

/**
 * Replay protection for a single process. Each (issuer, jti) is remembered until the expiry the
 * verifier passes (exp + leeway); expired entries are dropped first, cheapest-first via a heap.
 * Entries are kept per issuer (issuers are few: each needs a key in the repository), so a jti is
 * stored as the string the token carried (about 110 bytes an entry, 190 with a joined key).
 *
 * When the store is full of unexpired entries it FAILS CLOSED: new tokens are refused with
 * `replay_store_unavailable` rather than forgetting a jti that could then be replayed. Memory is
 * bounded by `maxEntries`; only tokens that passed every other check reach the guard, so filling it
 * takes a signing key, and the flood drains on its own as those tokens expire.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly issuers = new Map<string, IssuerJtis>();
  private entries = 0;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: MemoryReplayGuardOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_REPLAY_ENTRIES;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError("maxEntries must be a positive integer");
    }
    this.clock = options.clock ?? Date.now;
  }

  /** Number of remembered (issuer, jti) pairs, expired ones included until swept. */
  get size(): number {
    return this.entries;
  }

  async checkAndRemember(issuer: string, jti: string, expiresAtSeconds: number): Promise<void> {
    const now = this.clock() / 1000;
    this.forgetExpired(now);
    const used = this.issuers.get(issuer);
    const remembered = used?.expiresAt.get(jti);
    if (remembered !== undefined && remembered >= now) {
      throw new AsapError("token_replayed", "this jti was already used", { issuer });
    }
    if (expiresAtSeconds < now) return; // Already expired: nothing to protect against.
    if (this.entries >= this.maxEntries) {
      throw new AsapError(
        "replay_store_unavailable",
        "the replay store is full of unexpired token ids",
        { issuer },
      );
    }
    let jtis = used;
    if (jtis === undefined) {
      jtis = { expiresAt: new Map(), expiries: new ExpiryQueue() };
      this.issuers.set(issuer, jtis);
    }
    if (remembered === undefined) this.entries += 1;
    jtis.expiresAt.set(jti, expiresAtSeconds);
    jtis.expiries.push(expiresAtSeconds, jti);
  }

  private forgetExpired(now: number): void {
    for (const [issuer, jtis] of this.issuers) {
      const { expiresAt, expiries } = jtis;
      for (let time = expiries.peekTime(); time !== undefined && time < now; ) {
        const jti = expiries.pop();
        if (jti !== undefined && (expiresAt.get(jti) ?? Number.POSITIVE_INFINITY) < now) {
          expiresAt.delete(jti);
          this.entries -= 1;
        }
        time = expiries.peekTime();
      }
      if (expiries.size === 0) this.issuers.delete(issuer);
    }
  }
}
