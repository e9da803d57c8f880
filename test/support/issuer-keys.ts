import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createKeyPair } from "../../src/asap/keygen.js";
import { signAsapToken } from "../../src/asap/sign.js";

export interface TokenOverrides {
  readonly audience?: string | string[];
  readonly subject?: string;
}

export interface IssuerKeys {
  /** The issuer's key (an ES256 pair named `test`, kid `<issuer>/test`), made on first use. */
  keyFor(issuer: string): Promise<{ kid: string; pem: string }>;
  /** A fresh token for `issuer`, audience `sentiment-api` unless overridden. */
  token(issuer: string, overrides?: TokenOverrides): Promise<string>;
}

/** Key pairs under `<dir>/keys/{private,public}`, one per issuer, generated at run time. */
export function issuerKeys(dir: string): IssuerKeys {
  // One creation per issuer, even when tokens for a new issuer are asked for concurrently.
  const keys = new Map<string, Promise<{ kid: string; pem: string }>>();
  const keyFor = (issuer: string) => {
    let key = keys.get(issuer);
    if (!key) {
      key = createKeyPair({
        issuer,
        name: "test",
        alg: "ES256",
        privateDir: join(dir, "keys/private"),
        publicDir: join(dir, "keys/public"),
      }).then((created) => ({
        kid: created.kid,
        pem: readFileSync(created.privateKeyPath, "utf8"),
      }));
      keys.set(issuer, key);
    }
    return key;
  };
  return {
    keyFor,
    async token(issuer, overrides = {}) {
      const key = await keyFor(issuer);
      return signAsapToken({
        privateKey: key.pem,
        kid: key.kid,
        issuer,
        audience: overrides.audience ?? "sentiment-api",
        ...(overrides.subject ? { subject: overrides.subject } : {}),
      });
    },
  };
}
