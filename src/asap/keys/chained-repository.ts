import type { KeyObject } from "node:crypto";
import { AsapError, isAsapError } from "../errors.js";
import type { PublicKeyRepository } from "./repository.js";

/**
 * Tries repositories in order, moving on only when one is unavailable (network error,
 * timeout, 5xx). An answer such as unknown_key or invalid_key ends the search.
 */
export class ChainedKeyRepository implements PublicKeyRepository {
  readonly repositories: readonly PublicKeyRepository[];

  constructor(repositories: readonly PublicKeyRepository[]) {
    if (repositories.length === 0) throw new TypeError("a key repository chain needs a member");
    this.repositories = [...repositories];
  }

  async getPublicKey(kid: string, alg: string): Promise<KeyObject> {
    let lastCause: unknown;
    for (const repository of this.repositories) {
      try {
        return await repository.getPublicKey(kid, alg);
      } catch (error) {
        if (isAsapError(error) && error.code === "key_repository_unavailable") {
          lastCause = error;
          continue;
        }
        throw error;
      }
    }
    throw new AsapError("key_repository_unavailable", "no key repository could be reached", {
      kid,
      cause: lastCause,
    });
  }
}
