import type { KeyObject } from "node:crypto";
import { isAsapAlgorithm } from "./algorithms.js";
import { type AsapClaims, checkAsapClaims, readAsapClaims, readIssuer } from "./claims.js";
import { decodeJsonObjectSegment, isCompactJws } from "./compact-jws.js";
import { AsapError, isAsapError } from "./errors.js";
import { verifyJwsSignature } from "./jws-signature.js";
import { keyMisfit } from "./keys/key-fit.js";
import type { PublicKeyRepository } from "./keys/repository.js";
import { kidBelongsToIssuer, validateKid } from "./kid.js";
import { MemoryReplayGuard } from "./replay/memory-replay-guard.js";
import type { ReplayGuard } from "./replay/replay-guard.js";

export { parseBearerToken } from "./bearer.js";

export const DEFAULT_LEEWAY_SECONDS = 30;
export const DEFAULT_MAX_LIFETIME_SECONDS = 3600;
export const DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;

export interface AsapVerifierOptions {
  keyRepository: PublicKeyRepository;
  /** Required so replay protection is never off by accident: pass `null` to disable it. */
  replayGuard?: ReplayGuard | null;
  /** This service's audience; the token's `aud` must contain it. */
  audience: string;
  /** When set, only these issuers are accepted (others: `issuer_not_allowed`). */
  validIssuers?: readonly string[];
  leewaySeconds?: number;
  maxLifetimeSeconds?: number;
  /** Milliseconds since the epoch. */
  clock?: () => number;
  maxTokenBytes?: number;
}

export interface VerifiedAsapClaims extends AsapClaims {
  kid: string;
  alg: string;
  /** The whole verified payload, extra claims included. */
  claims: Record<string, unknown>;
}

/**
 * Verifies an ASAP bearer token. Cheap checks run before the key lookup, the replay guard runs
 * last so only valid tokens consume a jti. Every refusal is an AsapError (never the token inside).
 */
export async function verifyAsapToken(
  token: string,
  options: AsapVerifierOptions,
): Promise<VerifiedAsapClaims> {
  if (options.replayGuard === undefined) {
    throw new TypeError(
      "replayGuard is required: pass a ReplayGuard, or null to disable replay protection",
    );
  }
  const leeway = options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
  const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;

  if (typeof token !== "string" || token.length === 0) {
    throw new AsapError("missing_token", "no token");
  }
  if (token.length > maxTokenBytes) {
    throw new AsapError("token_too_large", `the token is larger than ${maxTokenBytes} bytes`);
  }
  if (!isCompactJws(token)) {
    throw new AsapError("malformed_token", "the token is not a compact JWS");
  }

  // isCompactJws guarantees exactly two dots.
  const headerEnd = token.indexOf(".");
  const payloadEnd = token.lastIndexOf(".");
  const header = decodeSegment(token.slice(0, headerEnd), "header");
  const alg = header.alg;
  if (!isAsapAlgorithm(alg)) {
    throw new AsapError(
      "unsupported_algorithm",
      "the token algorithm is not an allowed asymmetric one",
    );
  }
  const kid = validateKid(header.kid);

  // Decoded once; nothing in it but the issuer is read before the signature is checked.
  let payload: Record<string, unknown>;
  let unverifiedIssuer: string;
  try {
    payload = decodeSegment(token.slice(headerEnd + 1, payloadEnd), "payload");
    unverifiedIssuer = readIssuer(payload);
  } catch (error) {
    throw isAsapError(error) ? error.withContext({ kid }) : error;
  }
  const context = { issuer: unverifiedIssuer, kid };
  if (!kidBelongsToIssuer(kid, unverifiedIssuer)) {
    throw new AsapError("kid_issuer_mismatch", "the kid does not belong to the issuer", context);
  }
  if (options.validIssuers !== undefined && !options.validIssuers.includes(unverifiedIssuer)) {
    throw new AsapError("issuer_not_allowed", "this issuer is not allowed", context);
  }

  const key = await lookUpKey(options.keyRepository, kid, alg, context);
  // RSA answers at once; only a check on the thread pool (ECDSA) is awaited.
  const signed = checkSignature(token, payloadEnd, header, key, alg, context);
  if (signed !== undefined) await signed;

  try {
    const claims = readAsapClaims(payload);
    checkAsapClaims(claims, {
      audience: options.audience,
      nowSeconds: (options.clock ?? Date.now)() / 1000,
      leewaySeconds: leeway,
      maxLifetimeSeconds: options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
    });
    if (options.replayGuard !== null) {
      await rememberOnce(options.replayGuard, claims.iss, claims.jti, claims.exp + leeway);
    }
    // Spelled out: `{ ...claims, kid, alg, claims: payload }` cost about 8 µs a token, a fifth
    // of a whole RS256 verification (scripts/bench-verify.ts).
    const { iss, sub, aud, jti, iat, exp, nbf } = claims;
    return { iss, sub, aud, jti, iat, exp, nbf, kid, alg, claims: payload };
  } catch (error) {
    throw isAsapError(error) ? error.withContext(context) : error;
  }
}

/** A verifier with its options bound; replay protection defaults to an in-memory guard. */
export function createAsapVerifier(
  options: AsapVerifierOptions,
): (token: string) => Promise<VerifiedAsapClaims> {
  const bound: AsapVerifierOptions = {
    ...options,
    replayGuard:
      options.replayGuard === undefined
        ? new MemoryReplayGuard(options.clock ? { clock: options.clock } : {})
        : options.replayGuard,
  };
  return (token) => verifyAsapToken(token, bound);
}

function decodeSegment(segment: string, name: "header" | "payload"): Record<string, unknown> {
  const value = decodeJsonObjectSegment(segment);
  if (value === undefined) {
    throw new AsapError("malformed_token", `the token ${name} is not a JSON object`);
  }
  return value;
}

async function lookUpKey(
  repository: PublicKeyRepository,
  kid: string,
  alg: string,
  context: { issuer: string; kid: string },
): Promise<KeyObject> {
  try {
    return await repository.getPublicKey(kid, alg);
  } catch (error) {
    if (isAsapError(error)) throw error.withContext(context);
    throw new AsapError("key_repository_unavailable", "the key lookup failed", {
      ...context,
      cause: error,
    });
  }
}

/**
 * Throws unless the token signature by `key` verifies, after the header and key checks; returns
 * a promise only when the check runs off the event loop (see verifyJwsSignature).
 */
function checkSignature(
  token: string,
  payloadEnd: number,
  header: Record<string, unknown>,
  key: KeyObject,
  alg: string,
  context: { issuer: string; kid: string },
): Promise<void> | undefined {
  // No JWS extension is understood, so any `crit` header must be refused (RFC 7515 §4.1.11).
  if (header.crit !== undefined) {
    throw new AsapError("malformed_token", "the token has critical header extensions", context);
  }
  // Repositories check this when they import a key; checked again for any other repository.
  const misfit = keyMisfit(key, alg);
  if (misfit !== undefined) {
    throw new AsapError("invalid_key", `the public key cannot verify ${alg}: ${misfit}`, context);
  }
  const signature = Buffer.from(token.slice(payloadEnd + 1), "base64url");
  const valid = verifyJwsSignature(alg, token.slice(0, payloadEnd), signature, key);
  if (typeof valid !== "boolean") {
    return valid.then((ok) => {
      if (!ok) throw invalidSignature(context);
    });
  }
  if (!valid) throw invalidSignature(context);
  return undefined;
}

function invalidSignature(context: { issuer: string; kid: string }): AsapError {
  return new AsapError("invalid_signature", "the token signature does not verify", context);
}

async function rememberOnce(
  guard: ReplayGuard,
  issuer: string,
  jti: string,
  expiresAtSeconds: number,
): Promise<void> {
  try {
    await guard.checkAndRemember(issuer, jti, expiresAtSeconds);
  } catch (error) {
    if (isAsapError(error)) throw error;
    throw new AsapError("replay_store_unavailable", "the replay store failed", {
      issuer,
      cause: error,
    });
  }
}
