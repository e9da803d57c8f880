/**
 * The one ASAP token signer of the project: the client signs its calls with it, and the service's
 * `npm run mint`, tests and benchmark mint their tokens with it. node:crypto only.
 */
import { type KeyObject, randomUUID, sign } from "node:crypto";
import { SentimentClientError } from "../errors.js";
import {
  ASAP_ALGORITHMS,
  type AsapAlgorithm,
  algorithmKeyMisfit,
  CURVE_OF,
  isAsapAlgorithm,
  JWS_SIGNATURE_PARAMETERS,
} from "./algorithms.js";
import { kidBelongsToIssuer, kidProblem } from "./kid.js";
import { type PrivateKeyInput, toPrivateKeyObject } from "./private-key.js";

export const MAX_TOKEN_LIFETIME_SECONDS = 3600;
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;

export interface AsapSignerOptions {
  /** A KeyObject/CryptoKey, or a PEM string (PKCS#8, or PKCS#1/SEC1). */
  privateKey: PrivateKeyInput;
  /** `<issuer>/<key name>`; must start with `issuer + "/"`. */
  kid: string;
  issuer: string;
  audience: string | string[];
  subject?: string;
  /** Default 60, at most 3600. */
  lifetimeSeconds?: number;
  /** Default: from the key (RSA -> RS256, P-256 -> ES256, P-384 -> ES384, P-521 -> ES512). */
  alg?: AsapAlgorithm;
  /** Extra claims; the ASAP claims (iss, sub, aud, jti, iat, nbf, exp) always win. */
  additionalClaims?: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  clock?: () => number;
}

/** Signs tokens for one key and identity; everything is checked once, when it is created. */
export interface AsapSigner {
  readonly kid: string;
  readonly issuer: string;
  readonly alg: AsapAlgorithm;
  /** A fresh token (new jti), signed on libuv's thread pool so the event loop stays free. */
  sign(lifetimeSeconds?: number): Promise<string>;
  /** The same, signed on this thread (for synchronous callers such as a load generator). */
  signSync(lifetimeSeconds?: number): string;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/**
 * A signer for `options`. Throws a SentimentClientError when the kid is malformed or not the
 * issuer's, the key is unreadable, not private or cannot sign the algorithm, or the lifetime is
 * out of range.
 */
export function createAsapSigner(options: AsapSignerOptions): AsapSigner {
  const defaultLifetime = checkedLifetime(options.lifetimeSeconds);
  const problem = kidProblem(options.kid);
  if (problem !== undefined) throw new SentimentClientError(problem.code, problem.message);
  const { kid, issuer } = options;
  if (!kidBelongsToIssuer(kid, issuer)) {
    throw new SentimentClientError(
      "kid_issuer_mismatch",
      `the kid "${kid}" does not start with the issuer "${issuer}" followed by /`,
    );
  }
  const key = toPrivateKeyObject(options.privateKey);
  const alg = options.alg ?? inferAlgorithm(key);
  if (!isAsapAlgorithm(alg)) {
    throw new SentimentClientError(
      "unsupported_algorithm",
      "ASAP tokens are signed with RS*, PS* or ES* algorithms",
    );
  }
  const misfit = algorithmKeyMisfit(key, alg);
  if (misfit !== undefined) {
    throw new SentimentClientError(
      "invalid_private_key",
      `the private key for ${kid} cannot sign ${alg}: ${misfit}`,
    );
  }
  const { hash, ...parameters } = JWS_SIGNATURE_PARAMETERS[alg];
  const keyOptions = { key, ...parameters };
  const header = base64url(JSON.stringify({ alg, kid, typ: "JWT" }));
  const clock = options.clock ?? Date.now;
  // `sub` is the subject option or absent (the service then takes iss), never an extra claim.
  const { sub: _extraSubject, ...extraClaims } = options.additionalClaims ?? {};
  const subject = options.subject === undefined ? {} : { sub: options.subject };

  const signingInput = (lifetimeSeconds: number | undefined): string => {
    const lifetime =
      lifetimeSeconds === undefined ? defaultLifetime : checkedLifetime(lifetimeSeconds);
    const now = Math.floor(clock() / 1000);
    const claims = {
      ...extraClaims,
      iss: issuer,
      aud: options.audience,
      jti: randomUUID(),
      iat: now,
      nbf: now,
      exp: now + lifetime,
      ...subject,
    };
    return `${header}.${base64url(JSON.stringify(claims))}`;
  };

  return {
    kid,
    issuer,
    alg,
    signSync(lifetimeSeconds) {
      const input = signingInput(lifetimeSeconds);
      return `${input}.${sign(hash, Buffer.from(input), keyOptions).toString("base64url")}`;
    },
    sign(lifetimeSeconds) {
      return new Promise((resolve, reject) => {
        const input = signingInput(lifetimeSeconds);
        sign(hash, Buffer.from(input), keyOptions, (error, signature) => {
          if (error) reject(signingFailed(alg, kid));
          else resolve(`${input}.${signature.toString("base64url")}`);
        });
      });
    },
  };
}

/** Mints one ASAP token with a fresh random jti (every problem is a rejection). */
export async function signAsapToken(options: AsapSignerOptions): Promise<string> {
  return createAsapSigner(options).sign();
}

export interface AsapTokenProviderOptions extends AsapSignerOptions {
  /**
   * Reuse one token until shortly before it expires (less than 25% of its lifetime or 10 s left).
   * Only for servers with replay protection OFF: a server that remembers jtis refuses the second
   * use. Default false: a fresh token per call.
   */
  reuse?: boolean;
}

export interface AsapTokenProvider {
  readonly signer: AsapSigner;
  token(): Promise<string>;
}

/** Tokens for outgoing calls: signed per call by default, or reused when `reuse` is set. */
export function createAsapTokenProvider(options: AsapTokenProviderOptions): AsapTokenProvider {
  const signer = createAsapSigner(options);
  if (!options.reuse) return { signer, token: () => signer.sign() };

  const clock = options.clock ?? Date.now;
  const lifetime = options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  const refreshBeforeMs = Math.max(lifetime * 250, 10_000);
  let current: { token: Promise<string>; expiresAtMs: number } | undefined;
  return {
    signer,
    token() {
      const now = clock();
      if (current === undefined || current.expiresAtMs - now < refreshBeforeMs) {
        const token = signer.sign();
        const entry = { token, expiresAtMs: now + lifetime * 1000 };
        current = entry;
        token.catch(() => {
          if (current === entry) current = undefined;
        });
      }
      return current.token;
    },
  };
}

function checkedLifetime(lifetime: number | undefined): number {
  if (lifetime === undefined) return DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1) {
    throw new SentimentClientError(
      "invalid_options",
      "the token lifetime must be a positive whole number of seconds",
    );
  }
  if (lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new SentimentClientError(
      "lifetime_too_long",
      `the token lifetime must be at most ${MAX_TOKEN_LIFETIME_SECONDS} seconds`,
    );
  }
  return lifetime;
}

function inferAlgorithm(key: KeyObject): AsapAlgorithm {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const alg = ASAP_ALGORITHMS.find(
    (candidate) => curve !== undefined && CURVE_OF[candidate] === curve,
  );
  if (key.asymmetricKeyType === "ec" && alg !== undefined) return alg;
  throw new SentimentClientError(
    "invalid_private_key",
    `a ${key.asymmetricKeyType ?? "symmetric"} key${curve ? ` on ${curve}` : ""} cannot sign ASAP tokens: use an RSA key or an EC key on P-256, P-384 or P-521`,
  );
}

function signingFailed(alg: string, kid: string): SentimentClientError {
  return new SentimentClientError(
    "invalid_private_key",
    `the private key for ${kid} cannot sign ${alg}`,
  );
}
