import type { KeyObject } from "node:crypto";
import { algorithmKeyMisfit } from "../../../clients/typescript/src/asap/algorithms.js";
import { AsapError } from "../errors.js";

/**
 * Why `key` cannot verify `alg`, or undefined when it can: a public key that the signer's rules
 * (clients/typescript) accept for `alg`: RSA for RS and PS, EC on the algorithm's curve for ES, an
 * RSA modulus of 2048 bits or more.
 */
export function keyMisfit(key: KeyObject, alg: string): string | undefined {
  if (key.type !== "public") return "it is not a public key";
  return algorithmKeyMisfit(key, alg);
}

/** Throws `invalid_key` unless `key` can verify `alg` (see keyMisfit). */
export function assertKeyFitsAlgorithm(key: KeyObject, alg: string, kid?: string): void {
  const misfit = keyMisfit(key, alg);
  if (misfit !== undefined) {
    throw new AsapError("invalid_key", `the public key cannot verify ${alg}: ${misfit}`, { kid });
  }
}
