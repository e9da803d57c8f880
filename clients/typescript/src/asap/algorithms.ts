import { constants, type KeyObject } from "node:crypto";

/** The asymmetric JWS algorithms ASAP allows. `none` and HMAC (HS*) are never accepted. */
export const ASAP_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
] as const;

export type AsapAlgorithm = (typeof ASAP_ALGORITHMS)[number];

const allowed: ReadonlySet<string> = new Set(ASAP_ALGORITHMS);

export function isAsapAlgorithm(value: unknown): value is AsapAlgorithm {
  return typeof value === "string" && allowed.has(value);
}

/** How node:crypto signs and verifies one JWS algorithm (its `sign`/`verify` key options). */
export interface JwsSignatureParameters {
  readonly hash: "sha256" | "sha384" | "sha512";
  readonly padding?: number;
  readonly saltLength?: number;
  readonly dsaEncoding?: "ieee-p1363";
}

const pss = (hash: JwsSignatureParameters["hash"]): JwsSignatureParameters => ({
  hash,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
});
const ecdsa = (hash: JwsSignatureParameters["hash"]): JwsSignatureParameters => ({
  hash,
  dsaEncoding: "ieee-p1363",
});

/**
 * RFC 7518 §3: RS* = RSASSA-PKCS1-v1_5, PS* = RSASSA-PSS with salt = digest length and MGF1 over
 * the same hash, ES* = ECDSA with the JWS (r||s, not DER) signature encoding.
 */
export const JWS_SIGNATURE_PARAMETERS: Readonly<Record<AsapAlgorithm, JwsSignatureParameters>> = {
  RS256: { hash: "sha256" },
  RS384: { hash: "sha384" },
  RS512: { hash: "sha512" },
  PS256: pss("sha256"),
  PS384: pss("sha384"),
  PS512: pss("sha512"),
  ES256: ecdsa("sha256"),
  ES384: ecdsa("sha384"),
  ES512: ecdsa("sha512"),
};

/** Smallest RSA modulus accepted, as jose and RFC 7518 §3.3 require. */
export const MIN_RSA_MODULUS_BITS = 2048;

/** The curve each ES* algorithm names: a P-256 key must not sign or verify ES384, and so on. */
export const CURVE_OF: Readonly<Record<string, string>> = {
  ES256: "prime256v1",
  ES384: "secp384r1",
  ES512: "secp521r1",
};

/**
 * Why `key` (public or private) cannot be used with `alg`, or undefined when it can: a key of the
 * algorithm's family (RSA for RS and PS, EC for ES), on the algorithm's curve, with an RSA modulus
 * of 2048 bits or more.
 */
export function algorithmKeyMisfit(key: KeyObject, alg: string): string | undefined {
  const family = alg.slice(0, 2);
  if (family === "RS" || family === "PS") {
    // Plain rsaEncryption keys only: an RSASSA-PSS key carries restrictions of its own.
    if (key.asymmetricKeyType !== "rsa") return `${alg} needs an RSA key`;
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_MODULUS_BITS) {
      return `the RSA modulus is ${bits} bits, under ${MIN_RSA_MODULUS_BITS}`;
    }
    return undefined;
  }
  const curve = CURVE_OF[alg];
  if (curve === undefined) return `${alg} is not an ASAP algorithm`;
  if (key.asymmetricKeyType !== "ec") return `${alg} needs an EC key`;
  if (key.asymmetricKeyDetails?.namedCurve !== curve) return `${alg} needs a key on ${curve}`;
  return undefined;
}
