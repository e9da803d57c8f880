/**
 * Token signing lives in the client package (clients/typescript), the one signer of the project:
 * services calling the API, `npm run mint`, the tests and the benchmark all mint tokens with it.
 * The service imports the client's TypeScript source directly (the client has no dependencies),
 * so `tsc`, tsx and vitest compile it along with the service.
 */

export {
  formatPrivateKeyDataUri,
  parsePrivateKeyDataUri,
} from "../../clients/typescript/src/asap/private-key.js";
export {
  type AsapSigner,
  type AsapSignerOptions as SignAsapTokenOptions,
  type AsapTokenProvider,
  type AsapTokenProviderOptions,
  createAsapSigner,
  createAsapTokenProvider,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
  signAsapToken,
} from "../../clients/typescript/src/asap/sign.js";
export {
  isSentimentClientError,
  SentimentClientError,
} from "../../clients/typescript/src/errors.js";
