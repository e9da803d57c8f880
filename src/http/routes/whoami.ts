import { Hono } from "hono";
import type { AppEnv } from "../env.js";

/** The verified ASAP claims of the caller: the debugging route for curl users. */
export function whoamiRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/whoami", (c) => {
    const { iss, sub, aud, jti, iat, exp, nbf, kid, alg } = c.var.asap;
    return c.json({ iss, sub, aud, jti, iat, exp, nbf, kid, alg });
  });
}
