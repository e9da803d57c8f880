export {
  ASAP_ALGORITHMS,
  type AsapAlgorithm,
  isAsapAlgorithm,
} from "./asap/algorithms.js";
export {
  formatPrivateKeyDataUri,
  type PrivateKeyInput,
  parsePrivateKeyDataUri,
} from "./asap/private-key.js";
export {
  type AsapSigner,
  type AsapSignerOptions,
  type AsapTokenProvider,
  type AsapTokenProviderOptions,
  createAsapSigner,
  createAsapTokenProvider,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
  signAsapToken,
} from "./asap/sign.js";
export { type CallOptions, createSentimentClient, type SentimentClient } from "./client.js";
export {
  type ClientErrorCode,
  isSentimentClientError,
  SentimentApiError,
  SentimentClientError,
  type ServiceErrorCode,
} from "./errors.js";
export type { SentimentClientOptions } from "./options.js";
export type {
  ModelInfo,
  ModelRef,
  Prediction,
  SentimentLabel,
  SentimentProbabilities,
  SentimentResult,
} from "./types.js";
