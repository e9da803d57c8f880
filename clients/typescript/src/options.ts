import type { KeyObject } from "node:crypto";
import {
  isPrivateKeyDataUri,
  type PrivateKeyInput,
  parsePrivateKeyDataUri,
  toPrivateKeyObject,
} from "./asap/private-key.js";
import { type AsapTokenProvider, createAsapTokenProvider } from "./asap/sign.js";
import { SentimentClientError } from "./errors.js";

export interface SentimentClientOptions {
  /** The service's HTTPS origin, optionally with a path prefix: `https://sentiment.internal:8443`. */
  baseUrl: string | URL;
  /** Your service's ASAP issuer; the key's kid must start with `issuer + "/"`. */
  issuer: string;
  /**
   * The private key: a PEM, an `ASAP_PRIVATE_KEY` data URI (`data:application/pkcs8;kid=...`),
   * a KeyObject or a CryptoKey. Default: the `ASAP_PRIVATE_KEY` environment variable.
   */
  privateKey?: PrivateKeyInput;
  /** The key's id, `<issuer>/<name>`. Default: the data URI's kid (required with a PEM). */
  keyId?: string;
  /** The audience tokens name. Default `sentiment-api` (the service's ASAP_VALID_AUDIENCE). */
  audience?: string;
  /** PEM certificate(s) to trust for the service (e.g. its self-signed one). Default: Node's CAs. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Seconds each token is valid. Default 60, at most 3600. */
  tokenLifetimeSeconds?: number;
  /**
   * Reuse a token until less than 25% of its lifetime (or 10 s) is left, instead of signing one
   * per request. ONLY for a service run with ASAP_REPLAY_PROTECTION=false: with replay protection
   * on (the default) the service refuses a token's second use (401 token_replayed).
   */
  reuseTokens?: boolean;
  /** Milliseconds one API request may take, retries and their waits included. Default 10000. */
  timeoutMs?: number;
  /** Attempts per request when the service answers 503 or 429 or cannot be reached. Default 3. */
  maxAttempts?: number;
  /** Most texts per batch request: the service's MAX_BATCH_TEXTS. Default 512. */
  maxBatchTexts?: number;
  /** Most bytes per batch request body: the service's BODY_LIMIT_BYTES. Default 1048576. */
  maxBatchBytes?: number;
  /** Batch requests scoreMany() keeps in flight at once. Default 4. */
  concurrency?: number;
}

/** The options, checked, with defaults applied and the key parsed. */
export interface ResolvedOptions {
  readonly baseUrl: URL;
  readonly tokens: AsapTokenProvider;
  readonly ca: string | Buffer | (string | Buffer)[] | undefined;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly maxBatchTexts: number;
  readonly maxBatchBytes: number;
  readonly concurrency: number;
}

export const DEFAULT_AUDIENCE = "sentiment-api";

/** The defaults of the numeric options (the service's own limits where there is one). */
export const DEFAULT_LIMITS = {
  timeoutMs: 10_000,
  maxAttempts: 3,
  maxBatchTexts: 512,
  maxBatchBytes: 1_048_576,
  concurrency: 4,
} as const;

/** Checks every option; throws a SentimentClientError naming the one that is wrong. */
export function resolveOptions(options: SentimentClientOptions): ResolvedOptions {
  const baseUrl = parseBaseUrl(options.baseUrl);
  if (typeof options.issuer !== "string" || options.issuer.trim() === "") {
    throw invalidOption("issuer is required: your service's ASAP issuer");
  }
  const { privateKey, kid } = resolveKey(options);
  const tokens = createAsapTokenProvider({
    privateKey,
    kid,
    issuer: options.issuer,
    audience: options.audience ?? DEFAULT_AUDIENCE,
    lifetimeSeconds: options.tokenLifetimeSeconds,
    reuse: options.reuseTokens ?? false,
  });
  return {
    baseUrl,
    tokens,
    ca: Array.isArray(options.ca) ? [...options.ca] : (options.ca as string | Buffer | undefined),
    timeoutMs: positiveNumber("timeoutMs", options.timeoutMs, DEFAULT_LIMITS.timeoutMs),
    maxAttempts: positiveInteger("maxAttempts", options.maxAttempts, DEFAULT_LIMITS.maxAttempts),
    maxBatchTexts: positiveInteger(
      "maxBatchTexts",
      options.maxBatchTexts,
      DEFAULT_LIMITS.maxBatchTexts,
    ),
    maxBatchBytes: positiveInteger(
      "maxBatchBytes",
      options.maxBatchBytes,
      DEFAULT_LIMITS.maxBatchBytes,
    ),
    concurrency: positiveInteger("concurrency", options.concurrency, DEFAULT_LIMITS.concurrency),
  };
}

function parseBaseUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidOption(`baseUrl ${JSON.stringify(String(value))} is not a URL`);
  }
  if (url.protocol !== "https:") {
    throw invalidOption(
      `baseUrl must be an https:// URL (tokens are bearer credentials); got ${url.protocol}`,
    );
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw invalidOption("baseUrl must not carry credentials, a query or a fragment");
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** The private key and its kid, from the options or ASAP_PRIVATE_KEY. */
function resolveKey(options: SentimentClientOptions): { privateKey: KeyObject; kid: string } {
  const fromEnvironment = options.privateKey === undefined;
  const given = options.privateKey ?? process.env.ASAP_PRIVATE_KEY?.trim();
  if (given === undefined || given === "") {
    throw new SentimentClientError(
      "invalid_private_key",
      "no private key: pass privateKey (a PEM or a data URI) or set ASAP_PRIVATE_KEY",
    );
  }
  const source = fromEnvironment ? "ASAP_PRIVATE_KEY" : "privateKey";
  if (typeof given === "string" && isPrivateKeyDataUri(given)) {
    const parsed = withSource(source, () => parsePrivateKeyDataUri(given));
    if (options.keyId !== undefined && options.keyId !== parsed.kid) {
      throw new SentimentClientError(
        "invalid_kid",
        `keyId "${options.keyId}" differs from the kid "${parsed.kid}" in ${source}`,
      );
    }
    return parsed;
  }
  const privateKey = withSource(source, () => toPrivateKeyObject(given));
  if (options.keyId === undefined) {
    throw invalidOption(
      `keyId is required with a PEM, KeyObject or CryptoKey key (the data URI form carries its kid)`,
    );
  }
  return { privateKey, kid: options.keyId };
}

/** Prefixes a key error with where the key came from (never with the key). */
function withSource<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof SentimentClientError) {
      throw new SentimentClientError(error.code, `${source}: ${error.message}`);
    }
    throw error;
  }
}

function positiveNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw invalidOption(`${name} must be a positive number`);
  }
  return value;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const number = positiveNumber(name, value, fallback);
  if (!Number.isInteger(number)) throw invalidOption(`${name} must be a whole number`);
  return number;
}

function invalidOption(message: string): SentimentClientError {
  return new SentimentClientError("invalid_options", message);
}
