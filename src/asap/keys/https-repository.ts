import type { KeyObject } from "node:crypto";
import { AsapError, isAsapError } from "../errors.js";
import { validateKid } from "../kid.js";
import { BoundedMap } from "./bounded-map.js";
import { cacheLifetimeSeconds } from "./cache-control.js";
import { HttpsGetError, type HttpsGetResponse, httpsGet } from "./https-get.js";
import { ImportedPublicKey } from "./public-key-pem.js";
import type { PublicKeyRepository } from "./repository.js";

export const PEM_CONTENT_TYPE = "application/x-pem-file";

export interface HttpsKeyRepositoryOptions {
  /** Extra CA certificates (PEM) trusted for this key server only. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Deadline for one fetch (connect + response). Default 2000. */
  timeoutMs?: number;
  /** Largest accepted key body. Default 16 KiB. */
  maxBytes?: number;
  /** Cache lifetime when the server sends no max-age. Default 300. */
  defaultMaxAgeSeconds?: number;
  /** Cap on the server's max-age. Default 86400. */
  maxMaxAgeSeconds?: number;
  /** How long "no such key" (and unusable responses) are remembered. Default 30. */
  negativeCacheSeconds?: number;
  /** How long past expiry a cached key is still served while the server is unreachable. Default 86400. */
  maxStaleSeconds?: number;
  /**
   * After the server was unreachable, how long to answer "unavailable" at once instead of
   * waiting for another timeout on every request (a chain then goes straight to the next). Default 5.
   */
  unavailableBackoffSeconds?: number;
  /**
   * Most distinct kids fetched at the same time; beyond it lookups are refused as unavailable
   * without a request, so a flood of made-up kids cannot fan out to the key server. Default 32.
   */
  maxConcurrentFetches?: number;
  /** Bound of each cache (keys, and refusals kept apart so a flood of unknown kids cannot evict keys). Default 10000. */
  maxCachedKids?: number;
  clock?: () => number;
}

interface CachedKey {
  key: ImportedPublicKey;
  freshUntil: number;
  staleUntil: number;
}

interface CachedRefusal {
  error: AsapError;
  until: number;
}

type FetchOutcome = { kind: "key"; entry: CachedKey } | { kind: "refused"; entry: CachedRefusal };

/**
 * Public keys from an ASAP key server at `<baseUrl><kid>` (PEM, `application/x-pem-file`).
 * Network errors, timeouts and 5xx become `key_repository_unavailable` so a chain can fall back;
 * any other non-200 answer is a definitive "no such key". Concurrent fetches of one kid share
 * one request; keys are cached per max-age and served stale while the server is unreachable.
 */
export class HttpsKeyRepository implements PublicKeyRepository {
  readonly baseUrl: URL;
  private readonly options: Required<Omit<HttpsKeyRepositoryOptions, "ca" | "clock">>;
  private readonly ca: HttpsKeyRepositoryOptions["ca"];
  private readonly clock: () => number;
  private readonly keys: BoundedMap<string, CachedKey>;
  private readonly refusals: BoundedMap<string, CachedRefusal>;
  private readonly inFlight = new Map<string, Promise<FetchOutcome>>();
  private unavailableUntil = 0;

  constructor(baseUrl: string | URL, options: HttpsKeyRepositoryOptions = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== "https:") {
      throw new TypeError(`key server URL must use https: ${url.origin}`);
    }
    if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`;
    url.search = "";
    url.hash = "";
    this.baseUrl = url;
    this.ca = options.ca;
    this.clock = options.clock ?? Date.now;
    this.options = {
      timeoutMs: options.timeoutMs ?? 2000,
      maxBytes: options.maxBytes ?? 16 * 1024,
      defaultMaxAgeSeconds: options.defaultMaxAgeSeconds ?? 300,
      maxMaxAgeSeconds: options.maxMaxAgeSeconds ?? 86_400,
      negativeCacheSeconds: options.negativeCacheSeconds ?? 30,
      maxStaleSeconds: options.maxStaleSeconds ?? 86_400,
      unavailableBackoffSeconds: options.unavailableBackoffSeconds ?? 5,
      maxConcurrentFetches: options.maxConcurrentFetches ?? 32,
      maxCachedKids: options.maxCachedKids ?? 10_000,
    };
    this.keys = new BoundedMap(this.options.maxCachedKids);
    this.refusals = new BoundedMap(this.options.maxCachedKids);
  }

  async getPublicKey(kid: string, alg: string): Promise<KeyObject> {
    validateKid(kid);
    const now = this.clock();
    const cached = this.keys.get(kid);
    if (cached !== undefined && now < cached.freshUntil) return cached.key.forAlgorithm(alg);
    const refusal = this.refusals.get(kid);
    if (refusal !== undefined && now < refusal.until) throw refusal.error;

    let outcome: FetchOutcome;
    try {
      outcome = await this.fetchOnce(kid, now);
    } catch (error) {
      // Key server unreachable: keep serving what we had, within the stale bound.
      if (cached !== undefined && this.clock() < cached.staleUntil) {
        return cached.key.forAlgorithm(alg);
      }
      throw error;
    }
    if (outcome.kind === "refused") throw outcome.entry.error;
    return outcome.entry.key.forAlgorithm(alg);
  }

  /** Fetches a kid, sharing one request between concurrent callers. */
  private fetchOnce(kid: string, now: number): Promise<FetchOutcome> {
    const pending = this.inFlight.get(kid);
    if (pending !== undefined) return pending;
    if (now < this.unavailableUntil) {
      return Promise.reject(this.unavailable(kid, "was unreachable moments ago"));
    }
    if (this.inFlight.size >= this.options.maxConcurrentFetches) {
      return Promise.reject(this.unavailable(kid, "has too many key fetches in progress"));
    }
    const fetching = this.fetchAndCache(kid).finally(() => this.inFlight.delete(kid));
    this.inFlight.set(kid, fetching);
    return fetching;
  }

  private async fetchAndCache(kid: string): Promise<FetchOutcome> {
    let outcome: FetchOutcome;
    try {
      outcome = await this.fetch(kid);
    } catch (error) {
      if (isAsapError(error) && error.code === "key_repository_unavailable") {
        this.unavailableUntil = this.clock() + this.options.unavailableBackoffSeconds * 1000;
      }
      throw error;
    }
    if (outcome.kind === "key") {
      this.keys.set(kid, outcome.entry);
      this.refusals.delete(kid);
    } else {
      // The server now says no: stop serving an older copy of this key.
      this.keys.delete(kid);
      this.refusals.set(kid, outcome.entry);
    }
    return outcome;
  }

  private async fetch(kid: string): Promise<FetchOutcome> {
    const url = new URL(kid, this.baseUrl);
    if (!url.href.startsWith(this.baseUrl.href)) {
      return this.refused(
        new AsapError("invalid_kid", "the kid resolves outside the key server base URL", { kid }),
      );
    }
    let response: HttpsGetResponse;
    try {
      response = await httpsGet(url, {
        ca: this.ca,
        timeoutMs: this.options.timeoutMs,
        maxBytes: this.options.maxBytes,
        headers: { accept: PEM_CONTENT_TYPE },
      });
    } catch (error) {
      if (error instanceof HttpsGetError && error.failure === "too_large") {
        return this.refused(
          new AsapError("invalid_key", "the key server response is too large", { kid }),
        );
      }
      throw this.unavailable(kid, "unreachable", error);
    }

    const { status } = response;
    if (status >= 500) throw this.unavailable(kid, `answered ${status}`);
    if (status !== 200) {
      return this.refused(
        new AsapError("unknown_key", `the key server answered ${status} for this kid`, { kid }),
      );
    }
    const contentType = (response.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim()
      .toLowerCase();
    if (contentType !== PEM_CONTENT_TYPE) {
      return this.refused(
        new AsapError(
          "invalid_key",
          `the key server sent ${contentType || "no content type"}, not ${PEM_CONTENT_TYPE}`,
          { kid },
        ),
      );
    }
    const maxAgeSeconds = cacheLifetimeSeconds(
      response.headers["cache-control"],
      this.options.defaultMaxAgeSeconds,
      this.options.maxMaxAgeSeconds,
    );
    const freshUntil = this.clock() + maxAgeSeconds * 1000;
    const pem = response.body.toString("utf8");
    const previous = this.keys.get(kid);
    // Same PEM as before: keep the already-parsed key.
    const key = previous?.key.pem === pem ? previous.key : new ImportedPublicKey(pem, kid);
    // A body that is no key is refused for the short negative-cache period, like a 404, rather
    // than kept for the response's max-age: a key server that sent garbage once may recover.
    const unusable = key.parseError();
    if (unusable !== undefined) return this.refused(unusable);
    return {
      kind: "key",
      entry: { key, freshUntil, staleUntil: freshUntil + this.options.maxStaleSeconds * 1000 },
    };
  }

  private unavailable(kid: string, what: string, cause?: unknown): AsapError {
    return new AsapError(
      "key_repository_unavailable",
      `key server ${this.baseUrl.origin} ${what}`,
      {
        kid,
        cause,
      },
    );
  }

  private refused(error: AsapError): FetchOutcome {
    const until = this.clock() + this.options.negativeCacheSeconds * 1000;
    return { kind: "refused", entry: { error, until } };
  }
}
