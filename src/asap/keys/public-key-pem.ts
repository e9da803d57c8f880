import { createPublicKey, type KeyObject } from "node:crypto";
import { AsapError } from "../errors.js";
import { assertKeyFitsAlgorithm } from "./key-fit.js";

const SPKI_PEM =
  /^\s*-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

/** Parses a PEM SubjectPublicKeyInfo; anything else is `invalid_key`. */
function parseSpkiPem(pem: string, kid: string): KeyObject {
  if (!SPKI_PEM.test(pem)) {
    throw new AsapError("invalid_key", "the public key is not a PEM SubjectPublicKeyInfo", { kid });
  }
  try {
    return createPublicKey({ key: pem, format: "pem", type: "spki" });
  } catch (cause) {
    throw new AsapError("invalid_key", "the public key PEM cannot be parsed", { kid, cause });
  }
}

/**
 * One PEM, parsed once into a KeyObject, and the answer per algorithm (the key, or why it does
 * not fit), so nothing is parsed or re-checked on every request.
 */
export class ImportedPublicKey {
  private parsed: { key: KeyObject } | { error: AsapError } | undefined;
  private readonly byAlgorithm = new Map<string, Promise<KeyObject>>();

  constructor(
    readonly pem: string,
    private readonly kid: string,
  ) {}

  forAlgorithm(alg: string): Promise<KeyObject> {
    let answer = this.byAlgorithm.get(alg);
    if (answer === undefined) {
      answer = this.settle(alg);
      // The rejection is handed to every caller; this only keeps it from being "unhandled".
      answer.catch(() => {});
      this.byAlgorithm.set(alg, answer);
    }
    return answer;
  }

  /** Why the PEM is no usable public key whatever the algorithm, or undefined when it is one. */
  parseError(): AsapError | undefined {
    const parsed = this.parse();
    return "error" in parsed ? parsed.error : undefined;
  }

  private parse(): { key: KeyObject } | { error: AsapError } {
    if (this.parsed === undefined) {
      try {
        this.parsed = { key: parseSpkiPem(this.pem, this.kid) };
      } catch (error) {
        // parseSpkiPem throws nothing but invalid_key.
        this.parsed = { error: error as AsapError };
      }
    }
    return this.parsed;
  }

  private settle(alg: string): Promise<KeyObject> {
    try {
      const parsed = this.parse();
      if ("error" in parsed) throw parsed.error;
      assertKeyFitsAlgorithm(parsed.key, alg, this.kid);
      return Promise.resolve(parsed.key);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
