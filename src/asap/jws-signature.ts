import { type KeyObject, verify } from "node:crypto";
import {
  ASAP_ALGORITHMS,
  JWS_SIGNATURE_PARAMETERS,
  type JwsSignatureParameters,
} from "../../clients/typescript/src/asap/algorithms.js";

interface SignatureScheme extends JwsSignatureParameters {
  /** ES* signatures are the two curve-sized integers r||s, so exactly this many bytes. */
  length?: number;
  /**
   * Verified on libuv's thread pool instead of the event loop. Worth it for ECDSA (~90 µs per
   * P-256 check, ~15 µs of main-thread time through the pool); an RSA check (~30 µs) costs the
   * main thread about as much through the pool as done in place (scripts/bench-verify.ts).
   */
  offThread?: boolean;
}

const ECDSA_SIGNATURE_BYTES: Readonly<Record<string, number>> = {
  ES256: 64,
  ES384: 96,
  ES512: 132,
};

// The RFC 7518 parameters are the signer's (clients/typescript); verifying adds length checks.
const SCHEMES: ReadonlyMap<string, SignatureScheme> = new Map(
  ASAP_ALGORITHMS.map((alg): [string, SignatureScheme] => {
    const length = ECDSA_SIGNATURE_BYTES[alg];
    const parameters = JWS_SIGNATURE_PARAMETERS[alg];
    return [alg, length === undefined ? parameters : { ...parameters, length, offThread: true }];
  }),
);

/**
 * True when `signature` is a valid `alg` signature of `signingInput` (the ASCII
 * `<header>.<payload>` of a compact JWS) by `key`: answered at once when checked in place (RSA),
 * as a promise when checked on libuv's thread pool (ECDSA). The caller has checked that the key
 * fits `alg`; any failure inside the crypto library counts as a bad signature.
 */
export function verifyJwsSignature(
  alg: string,
  signingInput: string,
  signature: Buffer,
  key: KeyObject,
): boolean | Promise<boolean> {
  const scheme = SCHEMES.get(alg);
  if (scheme === undefined) return false;
  if (scheme.length !== undefined && signature.length !== scheme.length) return false;
  const data = Buffer.from(signingInput, "latin1");
  const keyOptions = {
    key,
    padding: scheme.padding,
    saltLength: scheme.saltLength,
    dsaEncoding: scheme.dsaEncoding,
  };
  if (scheme.offThread !== true) {
    try {
      return verify(scheme.hash, data, keyOptions, signature);
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    try {
      verify(scheme.hash, data, keyOptions, signature, (error, valid) =>
        resolve(error === null && valid === true),
      );
    } catch {
      resolve(false);
    }
  });
}
