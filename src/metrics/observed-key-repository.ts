import type { KeyObject } from "node:crypto";
import { isAsapError } from "../asap/errors.js";
import type { PublicKeyRepository } from "../asap/keys/repository.js";
import type { KeyLookupResult } from "./service-metrics.js";

/** The metric result of a failed lookup: the repository's refusal code, bounded. */
export function keyLookupResultOf(error: unknown): KeyLookupResult {
  if (!isAsapError(error)) return "error";
  switch (error.code) {
    case "unknown_key":
    case "invalid_key":
    case "invalid_kid":
      return error.code;
    case "key_repository_unavailable":
      return "unavailable";
    default:
      return "error";
  }
}

/**
 * Wraps a key repository (file, HTTPS or a chain) and reports each lookup's result; the keys and
 * errors pass through unchanged.
 */
export class ObservedKeyRepository implements PublicKeyRepository {
  constructor(
    private readonly inner: PublicKeyRepository,
    private readonly onLookup: (result: KeyLookupResult) => void,
  ) {}

  async getPublicKey(kid: string, alg: string): Promise<KeyObject> {
    let key: KeyObject;
    try {
      key = await this.inner.getPublicKey(kid, alg);
    } catch (error) {
      this.onLookup(keyLookupResultOf(error));
      throw error;
    }
    this.onLookup("found");
    return key;
  }
}
