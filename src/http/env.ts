import type { VerifiedAsapClaims } from "../asap/verify.js";

/** Failure details kept for the access log; never the token itself. */
export interface AuthFailure {
  readonly code: string;
  readonly issuer?: string | undefined;
  readonly kid?: string | undefined;
}

/** Hono environment shared by the app's middleware and routes. */
export interface AppEnv {
  Variables: {
    requestId: string;
    asap: VerifiedAsapClaims;
    authFailure: AuthFailure;
  };
}
