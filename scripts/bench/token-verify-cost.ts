/** CPU time of one ASAP verification as the service does it (warm key cache, replay guard). */
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import { verifyAsapToken } from "../../src/asap/verify.js";
import { BENCH_AUDIENCE, type BenchIssuer } from "./token-minter.js";

export interface TokenVerifyCost {
  readonly alg: BenchIssuer["alg"];
  readonly tokens: number;
  /** Process CPU (all threads: ECDSA checks run on libuv's pool) per token. */
  readonly cpuMicrosPerToken: number;
  readonly wallMicrosPerToken: number;
}

/** Verifies `count` fresh tokens one after another, after a warm-up that fills the key cache. */
export async function measureTokenVerifyCost(
  issuer: BenchIssuer,
  count: number,
): Promise<TokenVerifyCost> {
  const options = {
    keyRepository: new FileKeyRepository(issuer.publicKeyRepository),
    replayGuard: new MemoryReplayGuard(),
    audience: BENCH_AUDIENCE,
  };
  for (let i = 0; i < 50; i++) await verifyAsapToken(issuer.mint(600), options);
  const tokens = Array.from({ length: count }, () => issuer.mint(600));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const token of tokens) await verifyAsapToken(token, options);
  const wallMicros = (performance.now() - started) * 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    alg: issuer.alg,
    tokens: count,
    cpuMicrosPerToken: (cpu.user + cpu.system) / count,
    wallMicrosPerToken: wallMicros / count,
  };
}
