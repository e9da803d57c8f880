import type { KeyObject } from "node:crypto";
import { AsapError } from "../errors.js";

/** Smallest RSA modulus accepted, as jose and RFC 7518 §3.3 require. */
export const MIN_RSA_MODULUS_BITS = 2048;

// ES* names the curve: a P-256 key must not verify an ES384 token, and so on.
const CURVE_OF: Readonly<Record<string, string>> = {
  ES256: "prime256v1",
  ES384: "secp384r1",
  ES512: "secp521r1",
};

/**
 * Why `key` cannot verify `alg`, or undefined when it can: a public key of the algorithm's family
 * (RSA for RS and PS, EC for ES), on the algorithm's curve, with an RSA modulus of 2048 bits or more.
 */
export function keyMisfit(key: KeyObject, alg: string): string | undefined {
  if (key.type !== "public") return "it is not a public key";
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

/** Throws `invalid_key` unless `key` can verify `alg` (see keyMisfit). */
export function assertKeyFitsAlgorithm(key: KeyObject, alg: string, kid?: string): void {
  const misfit = keyMisfit(key, alg);
  if (misfit !== undefined) {
    throw new AsapError("invalid_key", `the public key cannot verify ${alg}: ${misfit}`, { kid });
  }
}
