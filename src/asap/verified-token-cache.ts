// Reuse mode (replay protection off): a token seen before costs a hash and a few comparisons
// instead of a signature check, as Envoy's jwt_authn caches verified JWTs.
import { hash, type KeyObject } from "node:crypto";
import { checkAsapClaims } from "./claims.js";
import { BoundedMap } from "./keys/bounded-map.js";
import type { PublicKeyRepository } from "./keys/repository.js";
import {
  type AsapVerifierOptions,
  DEFAULT_LEEWAY_SECONDS,
  DEFAULT_MAX_LIFETIME_SECONDS,
  DEFAULT_MAX_TOKEN_BYTES,
  type VerifiedAsapClaims,
  verifyAsapToken,
} from "./verify.js";

export const DEFAULT_TOKEN_CACHE_MAX_ENTRIES = 10_000;

export type TokenCacheLookup = "hit" | "miss";

interface CachedToken {
  readonly verified: VerifiedAsapClaims;
  /** The key the signature verified with: the entry holds only while the repository still serves it. */
  readonly key: KeyObject;
}

/**
 * Verified tokens by the SHA-256 of the whole token (the token itself is never kept), bounded:
 * the oldest insertion goes first. Entries are not trusted by themselves: see
 * createCachingAsapVerifier for what is checked again on every use.
 */
export class VerifiedTokenCache {
  private readonly entries: BoundedMap<string, CachedToken>;

  constructor(readonly maxEntries: number = DEFAULT_TOKEN_CACHE_MAX_ENTRIES) {
    this.entries = new BoundedMap(maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  get(digest: string): CachedToken | undefined {
    return this.entries.get(digest);
  }

  set(digest: string, entry: CachedToken): void {
    this.entries.set(digest, entry);
  }

  delete(digest: string): void {
    this.entries.delete(digest);
  }
}

/**
 * SHA-256 of the whole token (one-shot `hash`: half the cost of a createHash object). Only
 * compact JWS, all ASCII, are ever cached, so no other string has the same UTF-8 bytes.
 */
export function tokenDigest(token: string): string {
  return hash("sha256", token, "base64url");
}

export interface CachingAsapVerifierOptions extends AsapVerifierOptions {
  /** A reused token must be accepted, so there is no replay guard: always `null`. */
  replayGuard: null;
  tokenCache: VerifiedTokenCache;
  onCacheLookup?: (result: TokenCacheLookup) => void;
}

/**
 * A verifier for reuse mode. A cached token is accepted again only when everything a fresh
 * verification would look at still holds: its issuer is allowed, its claims pass the time and
 * audience rules now, and the key repository still answers the very key object the signature
 * verified with (so a key removed or replaced stops the entry as soon as the key cache notices).
 * Anything else drops the entry and verifies afresh, so every refusal is the normal one.
 */
export function createCachingAsapVerifier(
  options: CachingAsapVerifierOptions,
): (token: string) => Promise<VerifiedAsapClaims> {
  if (options.replayGuard !== null) {
    throw new TypeError("a verified-token cache needs replay protection off (replayGuard: null)");
  }
  const { tokenCache: cache, onCacheLookup, keyRepository } = options;
  const clock = options.clock ?? Date.now;
  const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const { audience } = options;
  const leewaySeconds = options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;

  const stillValid = async (entry: CachedToken): Promise<boolean> => {
    const { verified } = entry;
    if (options.validIssuers !== undefined && !options.validIssuers.includes(verified.iss)) {
      return false;
    }
    try {
      const nowSeconds = clock() / 1000;
      checkAsapClaims(verified, { audience, nowSeconds, leewaySeconds, maxLifetimeSeconds });
      return (await keyRepository.getPublicKey(verified.kid, verified.alg)) === entry.key;
    } catch {
      return false;
    }
  };

  const verifyAndRemember = async (token: string, digest: string) => {
    let usedKey: KeyObject | undefined;
    const recording: PublicKeyRepository = {
      getPublicKey: async (kid, alg) => {
        usedKey = await keyRepository.getPublicKey(kid, alg);
        return usedKey;
      },
    };
    const verified = await verifyAsapToken(token, { ...options, keyRepository: recording });
    if (usedKey !== undefined) cache.set(digest, { verified: freeze(verified), key: usedKey });
    return verified;
  };

  return async (token) => {
    // Oversized and empty tokens are refused by the normal path, without hashing them.
    if (typeof token !== "string" || token.length === 0 || token.length > maxTokenBytes) {
      return verifyAsapToken(token, options);
    }
    const digest = tokenDigest(token);
    const entry = cache.get(digest);
    if (entry !== undefined) {
      if (await stillValid(entry)) {
        onCacheLookup?.("hit");
        return entry.verified;
      }
      cache.delete(digest);
    }
    onCacheLookup?.("miss");
    return verifyAndRemember(token, digest);
  };
}

/** One object is handed to every request reusing the token: none may change it for the next. */
function freeze(verified: VerifiedAsapClaims): VerifiedAsapClaims {
  if (Array.isArray(verified.aud)) Object.freeze(verified.aud);
  Object.freeze(verified.claims);
  return Object.freeze(verified);
}
