/**
 * ES256 ASAP tokens for the load generator: one key pair in a temporary key repository and a
 * synchronous signer, so tokens can be minted ahead of a run (or, if the pool runs dry, inside
 * autocannon's synchronous setupRequest). The claims are the ones `signAsapToken` writes.
 */
import { createPrivateKey, type KeyObject, randomUUID, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createKeyPair } from "../../src/asap/keygen.js";

export const BENCH_AUDIENCE = "sentiment-api";

export interface BenchIssuer {
  readonly issuer: string;
  readonly kid: string;
  /** The public-key repository directory (ASAP_PUBLICKEY_REPOSITORY for the service). */
  readonly publicKeyRepository: string;
  /** A fresh token (new jti) valid for `lifetimeSeconds` from now. */
  mint(lifetimeSeconds: number): string;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** Creates an ES256 key pair under `dir` with the project's keygen and returns a minter for it. */
export async function createBenchIssuer(
  dir: string,
  issuer = "bench-client",
): Promise<BenchIssuer> {
  const publicKeyRepository = join(dir, "public");
  const created = await createKeyPair({
    issuer,
    name: "load",
    alg: "ES256",
    privateDir: join(dir, "private"),
    publicDir: publicKeyRepository,
  });
  const privateKey: KeyObject = createPrivateKey(readFileSync(created.privateKeyPath, "utf8"));
  const header = base64url(JSON.stringify({ alg: "ES256", kid: created.kid, typ: "JWT" }));
  return {
    issuer,
    kid: created.kid,
    publicKeyRepository,
    mint(lifetimeSeconds) {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        aud: BENCH_AUDIENCE,
        jti: randomUUID(),
        iat: now,
        nbf: now,
        exp: now + lifetimeSeconds,
      };
      const signingInput = `${header}.${base64url(JSON.stringify(claims))}`;
      const signature = sign("sha256", Buffer.from(signingInput), {
        key: privateKey,
        dsaEncoding: "ieee-p1363",
      });
      return `${signingInput}.${base64url(signature)}`;
    },
  };
}

/** Tokens minted ahead, handed out once each; mints on the spot (and counts it) when empty. */
export class TokenPool {
  private tokens: string[] = [];
  private index = 0;
  /** Tokens minted during a run because the pool was empty. */
  liveMinted = 0;

  constructor(
    private readonly issuer: BenchIssuer,
    private readonly lifetimeSeconds: number,
  ) {}

  /** Replaces the pool with `count` fresh tokens; returns the CPU microseconds it took. */
  fill(count: number): number {
    const before = process.cpuUsage();
    this.tokens = Array.from({ length: count }, () => this.issuer.mint(this.lifetimeSeconds));
    this.index = 0;
    this.liveMinted = 0;
    const used = process.cpuUsage(before);
    return used.user + used.system;
  }

  next(): string {
    const token = this.tokens[this.index];
    if (token !== undefined) {
      this.tokens[this.index] = "";
      this.index += 1;
      return token;
    }
    this.liveMinted += 1;
    return this.issuer.mint(this.lifetimeSeconds);
  }

  get remaining(): number {
    return this.tokens.length - this.index;
  }
}
