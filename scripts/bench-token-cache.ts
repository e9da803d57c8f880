// tsx scripts/bench-token-cache.ts [--seconds 3]: reuse mode (replay protection off), single
// thread. Verifications per second of tokens seen for the first time (the signature is checked)
// and of reused tokens served by the verified-token cache, both with a warm file key cache.
import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { FileKeyRepository } from "../src/asap/keys/file-repository.js";
import { createCachingAsapVerifier, VerifiedTokenCache } from "../src/asap/verified-token-cache.js";
import type { VerifiedAsapClaims } from "../src/asap/verify.js";
import { mintTokens } from "./bench/token-minter.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "3" } } });
const seconds = Number(values.seconds);
// As many distinct tokens as c64 with one token per connection, and far more.
const POOL_SIZES = [64, 2_000];

/** Verifications/s over `tokens` for `seconds`, with a new verifier (empty cache) every pass when `fresh`. */
async function measure(tokens: string[], dir: string, fresh: boolean): Promise<number> {
  const keyRepository = new FileKeyRepository(dir);
  const make = () =>
    createCachingAsapVerifier({
      keyRepository,
      replayGuard: null,
      audience: "sentiment-api",
      tokenCache: new VerifiedTokenCache(Math.max(tokens.length, 1)),
    });
  let verify: (token: string) => Promise<VerifiedAsapClaims> = make();
  for (const token of tokens) await verify(token); // warm up (and fill the cache)
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let done = 0;
  while (performance.now() < deadline) {
    if (fresh) verify = make();
    for (const token of tokens) {
      await verify(token);
      done += 1;
    }
  }
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-token-cache-"));
  try {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await mkdir(path.join(dir, "bench"), { recursive: true });
    await writeFile(
      path.join(dir, "bench", "key"),
      publicKey.export({ type: "spki", format: "pem" }) as string,
    );
    console.log(
      `RS256, replay protection off, single thread, ${seconds} s per case (Node ${process.version})`,
    );
    for (const size of POOL_SIZES) {
      const tokens = await mintTokens(privateKey, "RS256", size);
      const first = await measure(tokens, dir, true);
      const reused = await measure(tokens, dir, false);
      console.log(
        `${size} tokens: first use ${Math.round(first)}/s (${(1e6 / first).toFixed(1)} µs), ` +
          `reused ${Math.round(reused)}/s (${(1e6 / reused).toFixed(1)} µs), ` +
          `${(reused / first).toFixed(1)}x`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
