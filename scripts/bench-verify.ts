// tsx scripts/bench-verify.ts [--seconds 3]: ASAP token verifications per second (RS256, ES256),
// with a warm key cache and the in-memory replay guard, and without the imported-key cache; then
// node:crypto's one-shot verify, synchronous vs its callback (thread-pool) form, in main-thread
// time per signature, which is what the single HTTP thread pays.
import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { FileKeyRepository } from "../src/asap/keys/file-repository.js";
import type { PublicKeyRepository } from "../src/asap/keys/repository.js";
import { MemoryReplayGuard } from "../src/asap/replay/memory-replay-guard.js";
import { verifyAsapToken } from "../src/asap/verify.js";
import { mintTokens } from "./bench/token-minter.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "3" } } });
const seconds = Number(values.seconds);

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

/**
 * CPU milliseconds the main thread has used (Linux: /proc/self/task/<pid>/stat, 10 ms ticks), or
 * NaN elsewhere. Unlike event-loop utilisation, it does not count time the thread waits for a core,
 * so it stays meaningful on a shared machine; libuv's pool threads are not in it.
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * The same work with 64 verifications in flight, as on a busy server: verifications/s, and the
 * main thread's busy time (event-loop utilisation) per verification, which is what the single
 * HTTP thread pays when part of the work runs on libuv's thread pool.
 */
async function measureConcurrent(
  tokens: string[],
  keyRepository: PublicKeyRepository,
): Promise<{ rate: number; mainMicros: number; mainCpuMicros: number }> {
  const audience = "sentiment-api";
  const cpuBefore = mainThreadCpuMs();
  let options = { keyRepository, replayGuard: new MemoryReplayGuard(), audience };
  let next = 0;
  let done = 0;
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (next === tokens.length) {
        next = 0;
        options = { keyRepository, replayGuard: new MemoryReplayGuard(), audience };
      }
      await verifyAsapToken(tokens[next++] as string, options);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  const elapsed = performance.now() - started;
  const { active } = performance.eventLoopUtilization(before);
  return {
    rate: done / (elapsed / 1000),
    mainMicros: (active * 1000) / done,
    mainCpuMicros: ((mainThreadCpuMs() - cpuBefore) * 1000) / done,
  };
}

/**
 * Main-thread cost of one signature check, synchronous vs callback form (64 in flight). The
 * callback form's main-thread time is the event loop's active time (its utilisation), since the
 * hashing and the public-key operation run on libuv's pool.
 */
async function compareVerifyForms(
  privateKey: KeyObject,
  publicKey: KeyObject,
  alg: "RS256" | "ES256",
): Promise<{ syncMicros: number; callbackMicros: number; callbackRate: number }> {
  const data = Buffer.from("x".repeat(400));
  const key = alg === "ES256" ? { key: publicKey, dsaEncoding: "ieee-p1363" as const } : publicKey;
  const signature = sign(
    "sha256",
    data,
    alg === "ES256" ? { key: privateKey, dsaEncoding: "ieee-p1363" } : privateKey,
  );
  const perCase = (seconds * 1000) / 2;

  let syncDone = 0;
  const syncStart = performance.now();
  while (performance.now() - syncStart < perCase) {
    for (let i = 0; i < 64; i++) if (verify("sha256", data, key, signature)) syncDone += 1;
  }
  const syncMicros = ((performance.now() - syncStart) * 1000) / syncDone;

  const verifyAsync = () =>
    new Promise<boolean>((resolve, reject) =>
      verify("sha256", data, key, signature, (error, ok) => (error ? reject(error) : resolve(ok))),
    );
  let callbackDone = 0;
  const before = performance.eventLoopUtilization();
  const callbackStart = performance.now();
  const worker = async () => {
    while (performance.now() - callbackStart < perCase) {
      if (await verifyAsync()) callbackDone += 1;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  const elapsedMs = performance.now() - callbackStart;
  const { active } = performance.eventLoopUtilization(before);
  return {
    syncMicros,
    callbackMicros: (active * 1000) / callbackDone,
    callbackRate: callbackDone / (elapsedMs / 1000),
  };
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
      const uncached: PublicKeyRepository = {
        getPublicKey: async () => createPublicKey(pem),
      };
      const reimported = await measure(tokens, uncached);

      console.log(
        `${alg}: ${Math.round(cached)} verifications/s (warm key cache, memory replay guard); ` +
          `${Math.round(reimported)}/s importing the PEM per request; ${Math.round(signRate)} signatures/s`,
      );
      const concurrent = await measureConcurrent(tokens, new FileKeyRepository(publicDir));
      console.log(
        `${alg}, 64 in flight: ${Math.round(concurrent.rate)} verifications/s, ` +
          `main thread per verification: ${concurrent.mainCpuMicros.toFixed(1)} µs CPU, ` +
          `${concurrent.mainMicros.toFixed(1)} µs busy (event-loop utilisation)`,
      );
      const { syncMicros, callbackMicros, callbackRate } = await compareVerifyForms(
        privateKey,
        publicKey,
        alg,
      );
      console.log(
        `${alg} node:crypto verify, main-thread µs per signature: sync ${syncMicros.toFixed(1)}, ` +
          `callback ${callbackMicros.toFixed(1)} (callback, 64 in flight: ${Math.round(callbackRate)}/s)`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
