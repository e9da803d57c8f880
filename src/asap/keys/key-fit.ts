import type { KeyObject } from "node:crypto";
import { algorithmKeyMisfit } from "../../../clients/typescript/src/asap/algorithms.js";
import { AsapError } from "../errors.js";

/**
 * Why `key` cannot verify `alg`, or undefined when it can: a public key that the signer's rules
 * (clients/typescript) accept for `alg`: RSA for RS and PS, EC on the algorithm's curve for ES, an
 * RSA modulus of 2048 bits or more.
 */
export function keyMisfit(key: KeyObject, alg: string): string | undefined {
  // A KeyObject never changes, and its type and details are read from native code on every
  // access: the answer is kept per key and algorithm (this runs on every verification).
  let answers = MISFITS.get(key);
  if (answers === undefined) {
    answers = new Map();
    MISFITS.set(key, answers);
  }
  if (answers.has(alg)) return answers.get(alg);
  const misfit = key.type !== "public" ? "it is not a public key" : algorithmKeyMisfit(key, alg);
  answers.set(alg, misfit);
  return misfit;
}

const MISFITS = new WeakMap<KeyObject, Map<string, string | undefined>>();

/** Throws `invalid_key` unless `key` can verify `alg` (see keyMisfit). */
export function assertKeyFitsAlgorithm(key: KeyObject, alg: string, kid?: string): void {
  const misfit = keyMisfit(key, alg);
  if (misfit !== undefined) {
    throw new AsapError("invalid_key", `the public key cannot verify ${alg}: ${misfit}`, { kid });
  }
}
