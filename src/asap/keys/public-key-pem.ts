import type { CryptoKey } from "jose";
import { importSPKI } from "jose";
import { AsapError } from "../errors.js";

const SPKI_PEM =
  /^\s*-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

/** Imports a PEM SubjectPublicKeyInfo for `alg`; anything else is `invalid_key`. */
export async function importPublicKeyPem(
  pem: string,
  alg: string,
  kid: string,
): Promise<CryptoKey> {
  if (!SPKI_PEM.test(pem)) {
    throw new AsapError("invalid_key", "the public key is not a PEM SubjectPublicKeyInfo", { kid });
  }
  try {
    return await importSPKI(pem, alg);
  } catch (cause) {
    throw new AsapError("invalid_key", `the public key cannot be used with ${alg}`, { kid, cause });
  }
}

/**
 * One PEM and the CryptoKeys imported from it, per algorithm, so a PEM is parsed once
 * per (kid, alg) rather than on every request.
 */
export class ImportedPublicKey {
  private readonly byAlgorithm = new Map<string, Promise<CryptoKey>>();

  constructor(
    readonly pem: string,
    private readonly kid: string,
  ) {}

  forAlgorithm(alg: string): Promise<CryptoKey> {
    let key = this.byAlgorithm.get(alg);
    if (key === undefined) {
      key = importPublicKeyPem(this.pem, alg, this.kid);
      // The rejection is handed to every caller; this only keeps it from being "unhandled".
      key.catch(() => {});
      this.byAlgorithm.set(alg, key);
    }
    return key;
  }
}
