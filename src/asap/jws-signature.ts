import { constants, type KeyObject, verify } from "node:crypto";

interface SignatureScheme {
  hash: string;
  padding?: number;
  saltLength?: number;
  dsaEncoding?: "ieee-p1363";
  /** ES* signatures are the two curve-sized integers r||s, so exactly this many bytes. */
  length?: number;
  /**
   * Verified on libuv's thread pool instead of the event loop. Worth it for ECDSA (~90 µs per
   * P-256 check, ~15 µs of main-thread time through the pool); an RSA check (~30 µs) costs the
   * main thread about as much through the pool as done in place (scripts/bench-verify.ts).
   */
  offThread?: boolean;
}

const pss = (hash: string): SignatureScheme => ({
  hash,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
});
const ecdsa = (hash: string, length: number): SignatureScheme => ({
  hash,
  dsaEncoding: "ieee-p1363",
  length,
  offThread: true,
});

// RFC 7518 §3: RS* = RSASSA-PKCS1-v1_5, PS* = RSASSA-PSS with salt = digest length and MGF1 over
// the same hash, ES* = ECDSA with the JWS (not DER) signature encoding.
const SCHEMES: ReadonlyMap<string, SignatureScheme> = new Map([
  ["RS256", { hash: "sha256" }],
  ["RS384", { hash: "sha384" }],
  ["RS512", { hash: "sha512" }],
  ["PS256", pss("sha256")],
  ["PS384", pss("sha384")],
  ["PS512", pss("sha512")],
  ["ES256", ecdsa("sha256", 64)],
  ["ES384", ecdsa("sha384", 96)],
  ["ES512", ecdsa("sha512", 132)],
]);

/**
 * Resolves true when `signature` is a valid `alg` signature of `signingInput` (the ASCII
 * `<header>.<payload>` of a compact JWS) by `key`. The caller has checked that the key fits `alg`;
 * any failure inside the crypto library counts as a bad signature.
 */
export function verifyJwsSignature(
  alg: string,
  signingInput: string,
  signature: Buffer,
  key: KeyObject,
): Promise<boolean> {
  const scheme = SCHEMES.get(alg);
  if (scheme === undefined) return Promise.resolve(false);
  if (scheme.length !== undefined && signature.length !== scheme.length) {
    return Promise.resolve(false);
  }
  const data = Buffer.from(signingInput, "latin1");
  const keyOptions = {
    key,
    padding: scheme.padding,
    saltLength: scheme.saltLength,
    dsaEncoding: scheme.dsaEncoding,
  };
  if (scheme.offThread !== true) {
    try {
      return Promise.resolve(verify(scheme.hash, data, keyOptions, signature));
    } catch {
      return Promise.resolve(false);
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
