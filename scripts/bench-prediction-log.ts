/**
 * The prediction log under load: does the SQLite size cap hold, and what does it cost?
 *
 *   npm run bench:predlog -- [--seconds 60] [--cap 10000000] [--rounds 2] [--run-seconds 15]
 *                            [--warmup 3] [--skip-cap-run] [--skip-throughput]
 *
 * 1. Cap run: the service with PREDICTION_LOG_MAX_BYTES=<cap> and its SQLite file in a temporary
 *    directory, under `--seconds` of single-text load at 64 connections. The file + WAL + shm are
 *    sampled every second; the largest sample is compared with the cap (the goal: at most
 *    cap + 10%). After a graceful stop, the stored rows must be the newest ones: one contiguous run
 *    of insertion order (only the oldest were pruned) ending at the load's last seconds.
 * 2. Throughput: interleaved runs, capped and uncapped (PREDICTION_LOG_MAX_BYTES=off) alternating
 *    which goes first, each on a fresh server and a fresh file: single text at c64 and batches of
 *    64 texts at 8 connections (as in `npm run bench`).
 *
 * Every request carries a fresh token (replay protection on), minted ahead in worker threads;
 * tokens minted during a run because the pool ran dry are reported (they cost load-generator CPU).
 * Numbers on a shared machine are noisy: compare capped and uncapped rows of the same round.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { loadTlsCredentials } from "../src/server/tls.js";
import { runLoad } from "./bench/load-run.js";
import { sampleTexts } from "./bench/sample-texts.js";
import {
  freePort,
  type ServerProcess,
  startService,
  stopServersOnExit,
} from "./bench/server-process.js";
import {
  BENCH_AUDIENCE,
  type BenchIssuer,
  createBenchIssuer,
  TokenPool,
} from "./bench/token-minter.js";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    cap: { type: "string", default: "10000000" },
    rounds: { type: "string", default: "2" },
    "run-seconds": { type: "string", default: "15" },
    warmup: { type: "string", default: "3" },
    "skip-cap-run": { type: "boolean", default: false },
    "skip-throughput": { type: "boolean", default: false },
    /** Tokens minted ahead per second of load (single text); the pool refills per run. */
    "token-rate": { type: "string", default: "6000" },
  },
  strict: true,
});

function positive(value: string | undefined, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`${name} must be a positive number`);
  return number;
}

const repoRoot = resolve(import.meta.dirname, "..");
const capSeconds = positive(args.seconds, "--seconds");
const cap = positive(args.cap, "--cap");
const rounds = positive(args.rounds, "--rounds");
const runSeconds = positive(args["run-seconds"], "--run-seconds");
const warmupSeconds = positive(args.warmup, "--warmup");
const tokenRate = positive(args["token-rate"], "--token-rate");
const BATCH_TEXTS = 64;
const BATCH_CONNECTIONS = 8;
const SINGLE_CONNECTIONS = 64;

interface Bench {
  workDir: string;
  ca: string;
  issuer: BenchIssuer;
  baseEnv: Record<string, string>;
  texts: string[];
}

const progress = (message: string) => process.stderr.write(`[bench:predlog] ${message}\n`);

function diskBytes(path: string): number {
  let total = 0;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      total += statSync(file).size;
    } catch {
      // not there (yet)
    }
  }
  return total;
}

function bodies(texts: readonly string[], batch: boolean): string[] {
  if (!batch) return texts.map((text) => JSON.stringify({ text }));
  return Array.from({ length: 8 }, (_, i) =>
    JSON.stringify({
      texts: Array.from(
        { length: BATCH_TEXTS },
        (_, j) => texts[(i * BATCH_TEXTS + j) % texts.length],
      ),
    }),
  );
}

async function metricsText(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

function metric(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function startLogged(
  bench: Bench,
  name: string,
  maxBytes: string,
): Promise<{ server: ServerProcess; sqlite: string; metricsPort: number }> {
  const dir = join(bench.workDir, name);
  mkdirSync(dir, { recursive: true });
  const sqlite = join(dir, "predictions.sqlite");
  const metricsPort = await freePort();
  const server = await startService({
    repoRoot,
    workDir: bench.workDir,
    name,
    env: {
      ...bench.baseEnv,
      METRICS_PORT: String(metricsPort),
      DATABASE_URL: `sqlite:${sqlite}`,
      PREDICTION_LOG_MAX_BYTES: maxBytes,
    },
    ca: bench.ca,
  });
  return { server, sqlite, metricsPort };
}

async function drive(
  bench: Bench,
  server: ServerProcess,
  spec: { batch: boolean; seconds: number; pool: TokenPool },
) {
  return runLoad({
    url: `${server.origin}${spec.batch ? "/v1/sentiment/batch" : "/v1/sentiment"}`,
    connections: spec.batch ? BATCH_CONNECTIONS : SINGLE_CONNECTIONS,
    durationSeconds: spec.seconds,
    bodies: bodies(bench.texts, spec.batch),
    textsPerRequest: spec.batch ? BATCH_TEXTS : 1,
    nextToken: () => spec.pool.next(),
  });
}

/** Fresh tokens for `seconds` of load at the expected rate (refilled before each run). */
async function filledPool(bench: Bench, seconds: number, batch: boolean): Promise<TokenPool> {
  const pool = new TokenPool(bench.issuer, 3600);
  const rate = batch ? tokenRate / 8 : tokenRate;
  await pool.fill(Math.ceil(rate * seconds));
  return pool;
}

async function capRun(bench: Bench): Promise<boolean> {
  progress(`cap run: PREDICTION_LOG_MAX_BYTES=${cap}, ${capSeconds} s of single text at c64`);
  const { server, sqlite, metricsPort } = await startLogged(bench, "capped-long", String(cap));
  let largest = 0;
  const samples: number[] = [];
  let pool: TokenPool | undefined;
  let loadEnd = 0;
  let result: Awaited<ReturnType<typeof drive>> | undefined;
  let metrics = "";
  try {
    progress(`minting ${Math.ceil(tokenRate * (warmupSeconds + capSeconds))} tokens`);
    pool = await filledPool(bench, warmupSeconds + capSeconds, false);
    await drive(bench, server, { batch: false, seconds: warmupSeconds, pool });
    const sampler = setInterval(() => {
      const bytes = diskBytes(sqlite);
      samples.push(bytes);
      largest = Math.max(largest, bytes);
    }, 1000);
    try {
      result = await drive(bench, server, { batch: false, seconds: capSeconds, pool });
      loadEnd = Date.now();
    } finally {
      clearInterval(sampler);
    }
    largest = Math.max(largest, diskBytes(sqlite));
    metrics = await metricsText(metricsPort);
  } finally {
    await server.stop();
  }
  const afterStop = diskBytes(sqlite);
  const db = new Database(sqlite, { readonly: true });
  const stored = db
    .prepare(
      "SELECT count(*) AS rows, min(seq) AS first, max(seq) AS last, max(created_at) AS newest FROM predictions",
    )
    .get() as { rows: number; first: number; last: number; newest: string };
  const pageBytes =
    (db.pragma("page_count", { simple: true }) as number) *
    (db.pragma("page_size", { simple: true }) as number);
  db.close();
  const contiguous = stored.last - stored.first + 1 === stored.rows;
  const newestLagMs = loadEnd - Date.parse(stored.newest);
  const limit = cap * 1.1;
  const written = metric(metrics, "prediction_log_records_written_total") ?? 0;
  const pruned = metric(metrics, 'prediction_log_records_pruned_total{reason="cap"}') ?? 0;
  const pruneStep = metric(metrics, "prediction_log_prune_step_max_seconds") ?? 0;
  const dropped = metrics
    .split("\n")
    .filter((l) => l.startsWith("prediction_log_records_dropped_total{"))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
  const ok = largest <= limit && contiguous && newestLagMs < 5000 && dropped === 0;
  console.log(`
## Cap run: PREDICTION_LOG_MAX_BYTES=${cap}, ${capSeconds} s single text c64

| | |
|---|---|
| requests (2xx / non-2xx / errors) | ${result?.ok} / ${result?.non2xx} / ${result?.errors} |
| req/s | ${result?.requestsPerSecond.toFixed(0)} |
| tokens minted during the run (pool dry) | ${pool?.liveMinted ?? 0} |
| largest file + WAL + shm (sampled every 1 s) | ${largest} bytes (limit ${Math.round(limit)}: ${largest <= limit ? "PASS" : "FAIL"}) |
| after the graceful stop | ${afterStop} bytes |
| records written / pruned by the cap / dropped (before stop) | ${written} / ${pruned} / ${dropped} |
| records kept after stop | ${stored.rows} (seq ${stored.first}..${stored.last}, contiguous: ${contiguous ? "yes" : "NO"}) |
| end of load minus newest kept record's time | ${newestLagMs} ms (${newestLagMs < 5000 ? "PASS" : "FAIL"}: under 5 s) |
| bytes per kept record (database pages / rows) | ${(pageBytes / Math.max(1, stored.rows)).toFixed(0)} |
| longest pruning step (writer thread) | ${(pruneStep * 1000).toFixed(1)} ms |

Samples (MB): ${samples.map((b) => (b / 1e6).toFixed(2)).join(" ")}
`);
  return ok;
}

interface Row {
  round: number;
  mode: "capped" | "uncapped";
  workload: "single c64" | "batch 64";
  reqPerSecond: number;
  textsPerSecond: number;
  p99Ms: number;
  failures: number;
  liveMinted: number;
  pruned: number;
}

async function throughput(bench: Bench): Promise<void> {
  const rows: Row[] = [];
  for (let round = 1; round <= rounds; round++) {
    const modes: Row["mode"][] = round % 2 === 1 ? ["capped", "uncapped"] : ["uncapped", "capped"];
    for (const mode of modes) {
      for (const batch of [false, true]) {
        const workload: Row["workload"] = batch ? "batch 64" : "single c64";
        progress(`round ${round}: ${mode}, ${workload}`);
        const { server, metricsPort } = await startLogged(
          bench,
          `${mode}-${batch ? "batch" : "single"}-${round}`,
          mode === "capped" ? String(cap) : "off",
        );
        try {
          const pool = await filledPool(bench, warmupSeconds + runSeconds, batch);
          await drive(bench, server, { batch, seconds: warmupSeconds, pool });
          const result = await drive(bench, server, { batch, seconds: runSeconds, pool });
          const metrics = await metricsText(metricsPort);
          rows.push({
            round,
            mode,
            workload,
            reqPerSecond: result.requestsPerSecond,
            textsPerSecond: result.textsPerSecond,
            p99Ms: result.p99Ms,
            failures: result.non2xx + result.errors,
            liveMinted: pool.liveMinted,
            pruned: metric(metrics, 'prediction_log_records_pruned_total{reason="cap"}') ?? 0,
          });
        } finally {
          await server.stop();
        }
      }
    }
  }
  console.log(`
## Throughput, capped (PREDICTION_LOG_MAX_BYTES=${cap}) vs uncapped, interleaved (${runSeconds} s runs)

| round | mode | workload | req/s | texts/s | p99 ms | non-2xx + errors | live-minted tokens | pruned by cap |
|---|---|---|---|---|---|---|---|---|
${rows
  .map(
    (r) =>
      `| ${r.round} | ${r.mode} | ${r.workload} | ${r.reqPerSecond.toFixed(0)} | ${r.textsPerSecond.toFixed(0)} | ${r.p99Ms.toFixed(1)} | ${r.failures} | ${r.liveMinted} | ${r.pruned} |`,
  )
  .join("\n")}
`);
  for (const workload of ["single c64", "batch 64"] as const) {
    const mean = (mode: Row["mode"]) => {
      const picked = rows.filter((r) => r.mode === mode && r.workload === workload);
      return picked.reduce((sum, r) => sum + r.textsPerSecond, 0) / Math.max(1, picked.length);
    };
    const spread = (mode: Row["mode"]) => {
      const values = rows
        .filter((r) => r.mode === mode && r.workload === workload)
        .map((r) => r.textsPerSecond);
      return `${Math.min(...values).toFixed(0)}..${Math.max(...values).toFixed(0)}`;
    };
    console.log(
      `${workload}: capped/uncapped texts/s = ${(mean("capped") / mean("uncapped")).toFixed(3)} (capped ${spread("capped")}, uncapped ${spread("uncapped")})`,
    );
  }
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), "sentiment-bench-predlog-"));
  scratchDir = workDir;
  try {
    const tlsDir = join(workDir, "tls");
    const tls = await loadTlsCredentials({ certFile: null, keyFile: null, selfSignedDir: tlsDir });
    const issuer = await createBenchIssuer(join(workDir, "keys"), { issuer: "bench-client" });
    const bench: Bench = {
      workDir,
      ca: tls.cert,
      issuer,
      texts: sampleTexts(100),
      baseEnv: {
        ASAP_PUBLICKEY_REPOSITORY: issuer.publicKeyRepository,
        ASAP_VALID_AUDIENCE: BENCH_AUDIENCE,
        ASAP_REPLAY_PROTECTION: "true",
        LOG_LEVEL: "warn",
        LOG_FORMAT: "json",
        RATE_LIMIT_RPS: "1000000",
        RATE_LIMIT_BURST: "10000000",
        METRICS_HOST: "127.0.0.1",
        TLS_CERT_FILE: join(tlsDir, "localhost.crt"),
        TLS_KEY_FILE: join(tlsDir, "localhost.key"),
      },
    };
    console.log(
      `# Prediction-log benchmark (${new Date().toISOString()}, load average at start ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")})`,
    );
    let ok = true;
    if (!args["skip-cap-run"]) ok = await capRun(bench);
    if (!args["skip-throughput"]) await throughput(bench);
    console.log(
      `\nload average at end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

let scratchDir: string | undefined;
stopServersOnExit(() => scratchDir);

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:predlog failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
