export { ASAP_ALGORITHMS, type AsapAlgorithm, isAsapAlgorithm } from "./algorithms.js";
export { parseBearerToken } from "./bearer.js";
export { type AsapClaims, checkAsapClaims, readAsapClaims, validateAsapClaims } from "./claims.js";
export { AsapError, type AsapErrorCode, isAsapError } from "./errors.js";
export { type CreatedKeyPair, createKeyPair, KeygenError } from "./keygen.js";
export { ChainedKeyRepository } from "./keys/chained-repository.js";
export { createKeyRepository, KeyRepositoryConfigError } from "./keys/create-key-repository.js";
export { FileKeyRepository } from "./keys/file-repository.js";
export { HttpsKeyRepository } from "./keys/https-repository.js";
export type { PublicKeyRepository } from "./keys/repository.js";
export { kidBelongsToIssuer, validateKid } from "./kid.js";
export { MemoryReplayGuard } from "./replay/memory-replay-guard.js";
export type { ReplayGuard } from "./replay/replay-guard.js";
export {
  type AsapTokenProvider,
  createAsapTokenProvider,
  formatPrivateKeyDataUri,
  parsePrivateKeyDataUri,
  type SignAsapTokenOptions,
  signAsapToken,
} from "./sign.js";
export {
  type CachingAsapVerifierOptions,
  createCachingAsapVerifier,
  DEFAULT_TOKEN_CACHE_MAX_ENTRIES,
  type TokenCacheLookup,
  VerifiedTokenCache,
} from "./verified-token-cache.js";
export {
  type AsapVerifierOptions,
  createAsapVerifier,
  type VerifiedAsapClaims,
  verifyAsapToken,
} from "./verify.js";
