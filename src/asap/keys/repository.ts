import type { KeyObject } from "node:crypto";
/**
 * Where verification finds public keys. Implementations throw AsapError:
 * `unknown_key` (no such key), `invalid_key` (present but unusable for `alg`),
 * `key_repository_unavailable` (could not ask; a chain falls back to the next repository).
 */
export interface PublicKeyRepository {
  getPublicKey(kid: string, alg: string): Promise<KeyObject>;
}
