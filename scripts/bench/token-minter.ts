/**
 * ASAP tokens for the load generator: one key pair in a temporary key repository and a
 * synchronous signer, so tokens can be minted ahead of a run (in worker threads: an RS256
 * signature costs about 0.5 ms of CPU) or, if the pool runs dry, inside autocannon's synchronous
 * setupRequest. Signed by the project's one signer (`createAsapSigner`, clients/typescript).
 */
import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { AsapAlgorithm } from "../../src/asap/algorithms.js";
import { createKeyPair } from "../../src/asap/keygen.js";
import { createAsapSigner, signAsapToken } from "../../src/asap/sign.js";
import { siblingModuleUrl, startModuleWorker } from "../../src/serving/worker-thread-launcher.js";

export const BENCH_AUDIENCE = "sentiment-api";

/** What a thread needs to mint tokens for one issuer (structured-clone friendly). */
/** `count` tokens of issuer `bench` (kid bench/key), valid for an hour, for in-process verify benchmarks. */
export async function mintTokens(
  privateKey: KeyObject,
  alg: AsapAlgorithm,
  count: number,
): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    tokens.push(
      await signAsapToken({
        privateKey,
        kid: "bench/key",
        issuer: "bench",
        audience: "sentiment-api",
        alg,
        lifetimeSeconds: 3600,
      }),
    );
  }
  return tokens;
}

export interface MinterSpec {
  readonly issuer: string;
  readonly kid: string;
  readonly alg: "RS256" | "ES256";
  readonly privateKeyPem: string;
}

export interface BenchIssuer {
  readonly issuer: string;
  readonly kid: string;
  readonly alg: MinterSpec["alg"];
  /** The public-key repository directory (ASAP_PUBLICKEY_REPOSITORY for the service). */
  readonly publicKeyRepository: string;
  readonly spec: MinterSpec;
  /** A fresh token (new jti) valid for `lifetimeSeconds` from now. */
  mint(lifetimeSeconds: number): string;
}

/** A synchronous minter for `spec`, by the project's signer (key parsed and header encoded once). */
export function createMinter(spec: MinterSpec): (lifetimeSeconds: number) => string {
  const signer = createAsapSigner({
    privateKey: spec.privateKeyPem,
    kid: spec.kid,
    issuer: spec.issuer,
    audience: BENCH_AUDIENCE,
    alg: spec.alg,
  });
  return (lifetimeSeconds) => signer.signSync(lifetimeSeconds);
}

/**
 * Creates a key pair for `issuer` under `dir` (public key in `<dir>/public`) with the project's
 * keygen and returns a minter for it. Several issuers may share one directory.
 */
export async function createBenchIssuer(
  dir: string,
  options: { issuer?: string; alg?: MinterSpec["alg"] } = {},
): Promise<BenchIssuer> {
  const issuer = options.issuer ?? "bench-client";
  const alg: MinterSpec["alg"] = options.alg ?? "RS256";
  const publicKeyRepository = join(dir, "public");
  const created = await createKeyPair({
    issuer,
    name: "load",
    alg: alg satisfies AsapAlgorithm,
    privateDir: join(dir, "private"),
    publicDir: publicKeyRepository,
  });
  const spec: MinterSpec = {
    issuer,
    kid: created.kid,
    alg,
    privateKeyPem: readFileSync(created.privateKeyPath, "utf8"),
  };
  return { issuer, kid: created.kid, alg, publicKeyRepository, spec, mint: createMinter(spec) };
}

/** `count` tokens minted by `threads` worker threads (in parallel, off this thread). */
export async function mintInThreads(
  spec: MinterSpec,
  count: number,
  lifetimeSeconds: number,
  threads = availableParallelism(),
): Promise<string[]> {
  const shares = Array.from({ length: Math.max(1, threads) }, (_, i) =>
    Math.floor((count + i) / Math.max(1, threads)),
  ).filter((share) => share > 0);
  const parts = await Promise.all(
    shares.map(
      (share) =>
        new Promise<string[]>((resolve, reject) => {
          const worker = startModuleWorker(siblingModuleUrl("token-mint-worker", import.meta.url), {
            workerData: { spec, count: share, lifetimeSeconds },
          });
          worker.once("message", (tokens: string[]) => {
            resolve(tokens);
            void worker.terminate();
          });
          worker.once("error", reject);
          worker.once("exit", (code) => {
            if (code !== 0) reject(new Error(`token mint worker exited with code ${code}`));
          });
        }),
    ),
  );
  return parts.flat();
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

  /** Replaces the pool with `count` fresh tokens minted in worker threads. */
  async fill(count: number): Promise<void> {
    this.tokens = await mintInThreads(this.issuer.spec, count, this.lifetimeSeconds);
    this.index = 0;
    this.liveMinted = 0;
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

/** CPU microseconds one token costs to mint on this thread (the load generator's price). */
export function mintCpuMicros(issuer: BenchIssuer, samples = 200): number {
  const before = process.cpuUsage();
  for (let i = 0; i < samples; i++) issuer.mint(60);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / samples;
}
