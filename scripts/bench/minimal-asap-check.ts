/**
 * The bench's anchor: the least work a correct ASAP check needs (issue 13), on the service's stack
 * (Hono on node:https) but with none of the service's code. Per request it splits the token,
 * base64url-decodes and JSON.parses header and payload, checks `alg` is RS256 and `kid` starts with
 * `<iss>/` and holds no `..`, verifies RSA-SHA256 with node:crypto against a KeyObject cached per
 * kid, checks aud, exp, nbf and iat with 30 s leeway and inserts the jti into a Map swept every 5 s.
 * Nothing else: no request id, no log, no metrics. It is a yardstick, not a second verifier.
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MiddlewareHandler } from "hono";

const LEEWAY_SECONDS = 30;
const SWEEP_MS = 5000;

export interface MinimalCheckOptions {
  /** Directory of PEM public keys at `<dir>/<kid>` (the bench's key repository). */
  readonly keyDir: string;
  readonly audience: string;
}

/** Returns the issuer of a valid, unused token, or undefined (the caller answers 401). */
export function createMinimalCheck(
  options: MinimalCheckOptions,
): (token: string) => string | undefined {
  const keys = new Map<string, KeyObject>();
  const jtis = new Map<string, number>();
  setInterval(() => {
    const now = Date.now() / 1000;
    for (const [jti, until] of jtis) if (until < now) jtis.delete(jti);
  }, SWEEP_MS).unref();

  const keyFor = (kid: string): KeyObject | undefined => {
    let key = keys.get(kid);
    if (key === undefined) {
      try {
        key = createPublicKey(readFileSync(join(options.keyDir, kid), "utf8"));
      } catch {
        return undefined;
      }
      keys.set(kid, key);
    }
    return key;
  };

  return (token) => {
    const first = token.indexOf(".");
    const second = token.indexOf(".", first + 1);
    if (first < 0 || second < 0 || token.indexOf(".", second + 1) >= 0) return undefined;
    let header: { alg?: unknown; kid?: unknown };
    let payload: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(token.slice(0, first), "base64url").toString());
      payload = JSON.parse(Buffer.from(token.slice(first + 1, second), "base64url").toString());
    } catch {
      return undefined;
    }
    const { alg, kid } = header;
    const { iss, aud, exp, nbf, iat, jti } = payload;
    if (alg !== "RS256" || typeof kid !== "string" || typeof iss !== "string") return undefined;
    if (!kid.startsWith(`${iss}/`) || kid.includes("..")) return undefined;
    const key = keyFor(kid);
    if (key === undefined) return undefined;
    const signature = Buffer.from(token.slice(second + 1), "base64url");
    if (!verify("sha256", Buffer.from(token.slice(0, second)), key, signature)) return undefined;
    const now = Date.now() / 1000;
    if (aud !== options.audience && !(Array.isArray(aud) && aud.includes(options.audience))) {
      return undefined;
    }
    if (typeof exp !== "number" || now > exp + LEEWAY_SECONDS) return undefined;
    if (typeof iat !== "number" || iat > now + LEEWAY_SECONDS) return undefined;
    if (nbf !== undefined && (typeof nbf !== "number" || nbf > now + LEEWAY_SECONDS)) {
      return undefined;
    }
    if (typeof jti !== "string" || jtis.has(jti)) return undefined;
    jtis.set(jti, exp + LEEWAY_SECONDS);
    return iss;
  };
}

/** Hono middleware: 401 `{ error: "unauthorized" }` unless the Bearer token passes the check. */
export function minimalAsapAuth(options: MinimalCheckOptions): MiddlewareHandler {
  const check = createMinimalCheck(options);
  return async (c, next) => {
    const authorization = c.req.header("authorization");
    const issuer =
      authorization?.startsWith("Bearer ") === true ? check(authorization.slice(7)) : undefined;
    if (issuer === undefined) return c.json({ error: "unauthorized" }, 401);
    await next();
  };
}
