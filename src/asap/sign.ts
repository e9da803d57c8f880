import { createPrivateKey, KeyObject, randomUUID } from "node:crypto";
import type { CryptoKey } from "jose";
import { SignJWT } from "jose";
import { type AsapAlgorithm, isAsapAlgorithm } from "./algorithms.js";
import { AsapError } from "./errors.js";
import { kidBelongsToIssuer, validateKid } from "./kid.js";

export { formatPrivateKeyDataUri, parsePrivateKeyDataUri } from "./private-key-data-uri.js";

export const MAX_TOKEN_LIFETIME_SECONDS = 3600;

export interface SignAsapTokenOptions {
  /** A KeyObject/CryptoKey, or a PEM string (PKCS#8, or PKCS#1/SEC1). */
  privateKey: KeyObject | CryptoKey | string;
  /** `<issuer>/<key name>`; must start with `issuer + "/"`. */
  kid: string;
  issuer: string;
  audience: string | string[];
  subject?: string;
  /** Default 60, at most 3600. */
  lifetimeSeconds?: number;
  /** Default: inferred from the key (RSA -> RS256, P-256 -> ES256, P-384 -> ES384, P-521 -> ES512). */
  alg?: AsapAlgorithm;
  /** Extra claims; the ASAP claims (iss, sub, aud, jti, iat, nbf, exp) always win. */
  additionalClaims?: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  clock?: () => number;
}

/** Mints one ASAP token with a fresh random jti. */
export async function signAsapToken(options: SignAsapTokenOptions): Promise<string> {
  const lifetime = options.lifetimeSeconds ?? 60;
  if (!Number.isInteger(lifetime) || lifetime < 1) {
    throw new AsapError("invalid_claim", "lifetimeSeconds must be a positive whole number");
  }
  if (lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new AsapError(
      "lifetime_too_long",
      `lifetimeSeconds must be at most ${MAX_TOKEN_LIFETIME_SECONDS}`,
    );
  }
  const kid = validateKid(options.kid);
  if (!kidBelongsToIssuer(kid, options.issuer)) {
    throw new AsapError("kid_issuer_mismatch", "the kid must start with the issuer followed by /", {
      issuer: options.issuer,
      kid,
    });
  }
  const key = toKey(options.privateKey, kid);
  const alg = options.alg ?? inferAlgorithm(key, kid);
  if (!isAsapAlgorithm(alg)) {
    throw new AsapError("unsupported_algorithm", "ASAP tokens use RS*, PS* or ES* algorithms", {
      kid,
    });
  }
  const now = Math.floor((options.clock ?? Date.now)() / 1000);
  const claims: Record<string, unknown> = {
    ...options.additionalClaims,
    iss: options.issuer,
    aud: options.audience,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + lifetime,
  };
  if (options.subject !== undefined) claims.sub = options.subject;
  else delete claims.sub;
  try {
    return await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: "JWT" }).sign(key);
  } catch (cause) {
    throw new AsapError("invalid_private_key", `the private key cannot sign ${alg}`, {
      kid,
      cause,
    });
  }
}

export interface AsapTokenProviderOptions extends SignAsapTokenOptions {
  /**
   * Reuse one token until shortly before it expires (less than 25% of its lifetime or 10 s left).
   * Only for servers with replay protection OFF: a server that remembers jtis refuses the second
   * use. Default false: a fresh token per call.
   */
  reuse?: boolean;
}

export interface AsapTokenProvider {
  token(): Promise<string>;
}

/** Tokens for outgoing calls: signed per call by default, or reused when `reuse` is set. */
export function createAsapTokenProvider(options: AsapTokenProviderOptions): AsapTokenProvider {
  const { reuse = false, ...signOptions } = options;
  const clock = options.clock ?? Date.now;
  // Parse a PEM once, not per token.
  const fixed: SignAsapTokenOptions = {
    ...signOptions,
    privateKey: toKey(options.privateKey, options.kid),
  };
  if (!reuse) return { token: () => signAsapToken(fixed) };

  const lifetime = options.lifetimeSeconds ?? 60;
  const refreshBeforeMs = Math.max(lifetime * 250, 10_000);
  let current: { token: Promise<string>; expiresAtMs: number } | undefined;
  return {
    token() {
      const now = clock();
      if (current === undefined || current.expiresAtMs - now < refreshBeforeMs) {
        const token = signAsapToken(fixed);
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

function toKey(privateKey: KeyObject | CryptoKey | string, kid: string): KeyObject | CryptoKey {
  if (typeof privateKey !== "string") return privateKey;
  try {
    return createPrivateKey(privateKey);
  } catch (cause) {
    throw new AsapError("invalid_private_key", "the private key PEM cannot be parsed", {
      kid,
      cause,
    });
  }
}

function inferAlgorithm(key: KeyObject | CryptoKey, kid: string): AsapAlgorithm {
  if (key instanceof KeyObject) {
    if (key.type !== "private") {
      throw new AsapError("invalid_private_key", "the signing key is not a private key", { kid });
    }
    if (key.asymmetricKeyType === "rsa") return "RS256";
    if (key.asymmetricKeyType === "ec") {
      const alg = curveAlgorithm(key.asymmetricKeyDetails?.namedCurve);
      if (alg !== undefined) return alg;
    }
  } else {
    const algorithm = key.algorithm as {
      name: string;
      namedCurve?: string;
      hash?: { name: string };
    };
    if (algorithm.name === "RSASSA-PKCS1-v1_5") {
      const bits = algorithm.hash?.name.replace("SHA-", "") ?? "256";
      const alg = `RS${bits}`;
      if (isAsapAlgorithm(alg)) return alg;
    }
    if (algorithm.name === "ECDSA") {
      const alg = curveAlgorithm(algorithm.namedCurve);
      if (alg !== undefined) return alg;
    }
  }
  throw new AsapError(
    "invalid_private_key",
    "cannot infer an ASAP algorithm for this key; pass alg",
    { kid },
  );
}

function curveAlgorithm(curve: string | undefined): AsapAlgorithm | undefined {
  switch (curve) {
    case "prime256v1":
    case "P-256":
      return "ES256";
    case "secp384r1":
    case "P-384":
      return "ES384";
    case "secp521r1":
    case "P-521":
      return "ES512";
    default:
      return undefined;
  }
}
