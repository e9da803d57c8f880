import type { MiddlewareHandler } from "hono";
import { parseBearerToken } from "../../asap/bearer.js";
import { isAsapError } from "../../asap/errors.js";
import type { VerifiedAsapClaims } from "../../asap/verify.js";
import type { AppEnv } from "../env.js";

export interface AsapAuthOptions {
  /** Verifies a bearer token and returns its claims, or throws an AsapError. */
  readonly verify: (token: string) => Promise<VerifiedAsapClaims>;
}

/** Hono adapter for the ASAP core: a request goes on only with verified claims in `c.var.asap`. */
export function asapAuth(options: AsapAuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    try {
      const token = parseBearerToken(c.req.header("authorization"));
      c.set("asap", await options.verify(token));
    } catch (error) {
      if (isAsapError(error)) {
        c.set("authFailure", { code: error.code, issuer: error.issuer, kid: error.kid });
      }
      throw error;
    }
    await next();
  };
}
