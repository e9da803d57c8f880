// tsx scripts/bench-verify.ts [--seconds 3]: ASAP token verifications per second (RS256, ES256),
// with a warm key cache and the in-memory replay guard, and without the imported-key cache.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { importSPKI } from "jose";
import type { AsapAlgorithm } from "../src/asap/algorithms.js";
import { FileKeyRepository } from "../src/asap/keys/file-repository.js";
import type { PublicKeyRepository } from "../src/asap/keys/repository.js";
import { MemoryReplayGuard } from "../src/asap/replay/memory-replay-guard.js";
import { signAsapToken } from "../src/asap/sign.js";
import { verifyAsapToken } from "../src/asap/verify.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "3" } } });
const seconds = Number(values.seconds);

async function mintTokens(
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

/**
 * Verifies a pool of distinct tokens for `seconds`; every pass over the pool uses a fresh replay
 * guard so each verification does the full work, replay check included. Returns verifications/s.
 */
async function measure(tokens: string[], keyRepository: PublicKeyRepository): Promise<number> {
  const audience = "sentiment-api";
  await verifyAsapToken(tokens[0] as string, { keyRepository, replayGuard: null, audience }); // warm up
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let done = 0;
  while (performance.now() < deadline) {
    const options = { keyRepository, replayGuard: new MemoryReplayGuard(), audience };
    for (const token of tokens) {
      await verifyAsapToken(token, options);
      done += 1;
      if ((done & 63) === 0 && performance.now() >= deadline) break;
    }
  }
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-verify-"));
  try {
    console.log(
      `ASAP verification, single thread, ${seconds} s per case (Node ${process.version})`,
    );
    for (const alg of ["RS256", "ES256"] as const) {
      const { privateKey, publicKey } =
        alg === "RS256"
          ? generateKeyPairSync("rsa", { modulusLength: 2048 })
          : generateKeyPairSync("ec", { namedCurve: "P-256" });
      const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
      const publicDir = path.join(dir, alg);
      await mkdir(path.join(publicDir, "bench"), { recursive: true });
      await writeFile(path.join(publicDir, "bench", "key"), pem);

      const signStart = performance.now();
      const tokens = await mintTokens(privateKey, alg, 2_000);
      const signRate = tokens.length / ((performance.now() - signStart) / 1000);

      const cached = await measure(tokens, new FileKeyRepository(publicDir));
      // The same check, importing the PEM on every request, to show what the key cache saves.
      const uncached: PublicKeyRepository = { getPublicKey: (_kid, a) => importSPKI(pem, a) };
      const reimported = await measure(tokens, uncached);

      console.log(
        `${alg}: ${Math.round(cached)} verifications/s (warm key cache, memory replay guard); ` +
          `${Math.round(reimported)}/s importing the PEM per request; ${Math.round(signRate)} signatures/s`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
