/**
 * End-to-end benchmark of the scoring API against its limits on this machine: the model in-process
 * (compute limit); then, interleaved in rounds (A B A B), an HTTPS echo on the same stack
 * (transport limit), the same echo behind the minimal correct ASAP check (the anchor of issue 13,
 * scripts/bench/minimal-asap-check.ts) and behind the service's own verification, the service at
 * its production defaults (info access log, prediction log, metrics; rate limit out of reach) with
 * a fresh RS256 token per request, and the service in reuse mode (replay protection off, tokens
 * reused); then the service's other scenarios (concurrency, batches, ES256...). Load comes from wrk
 * (1 thread, HTTPS keep-alive, tokens minted ahead into files) when it is installed, else from
 * autocannon in this process. Prints one markdown report and writes it to bench/results.md.
 *
 *   npm run bench -- [--duration 10] [--warmup 2] [--quick] [--skip-profile] [--output bench/results.md]
 *                    [--keep-profiles <dir>]   (copies the .cpuprofile files, for Chrome DevTools)
 *                    [--only <scenario,...>]   (e.g. single-c64-es256; the goals' scenarios always run)
 *                    [--profile <scenario>]    (the load profiled with --cpu-prof; default single-c64)
 *                    [--load-generator auto|wrk|autocannon]   (auto: wrk when installed)
 *                    [--rounds N]              (interleaved rounds of the anchor comparison; default 2)
 *   npm run bench -- --compare-model <dir> [--rounds 3] [--duration ...] [--output bench/model-comparison.md]
 *                    (only the model comparison: the configured model against <dir>, the single
 *                    c64 and batch rows on two services in interleaved rounds; see bench/model-comparison.ts)
 *
 * --quick: 1 s runs, one server per configuration (one inference worker each) shared by all runs:
 * a smoke test of the script, not numbers.
 * The service's settings come from config/api.json and the environment (WORKERS, INFERENCE_WORKERS,
 * BATCH_MAX_SIZE, BATCH_MAX_DELAY_MS...), as for `npm start`. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/load.js";
import { loadTlsCredentials } from "../src/server/tls.js";
import {
  type ClientRuns,
  measureClientRuns,
  renderClientSection,
} from "./bench/client-throughput.js";
import {
  type CpuProfile,
  listProfiles,
  profileRuns,
  readProfile,
  summariseCpuProfile,
  type TimeWindow,
} from "./bench/cpu-profile.js";
import { type LoadResult, runLoad } from "./bench/load-run.js";
import {
  type ModelComparison,
  type ModelRound,
  renderModelComparison,
  type ServedModelName,
} from "./bench/model-comparison.js";
import { type ModelThroughputReport, measureModelThroughput } from "./bench/model-throughput.js";
import {
  processTreeCpuSeconds,
  processTreeMemory,
  processTreeThreadCpu,
  type ThreadCpu,
} from "./bench/proc-stats.js";
import {
  type AnchorComparison,
  type AnchorRound,
  type BenchReport,
  type MeasuredRun,
  type ProfileReport,
  renderReport,
  type ScenarioId,
  type ServedRun,
} from "./bench/report.js";
import { sampleTexts } from "./bench/sample-texts.js";
import {
  httpsGet,
  type ServerProcess,
  startEchoServer,
  startService,
  stopServersOnExit,
} from "./bench/server-process.js";
import {
  BENCH_AUDIENCE,
  type BenchIssuer,
  createBenchIssuer,
  mintCpuMicros,
  TokenPool,
} from "./bench/token-minter.js";
import { type TokenFile, TokenSupply } from "./bench/token-supply.js";
import { measureTokenVerifyCost, type TokenVerifyCost } from "./bench/token-verify-cost.js";
import { findWrk, runWrk, type WrkResult } from "./bench/wrk-run.js";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string" },
    "batch-connections": { type: "string", default: "8" },
    quick: { type: "boolean", default: false },
    "skip-profile": { type: "boolean", default: false },
    output: { type: "string" },
    "keep-profiles": { type: "string" },
    only: { type: "string" },
    profile: { type: "string", default: "single-c64" },
    "load-generator": { type: "string", default: "auto" },
    "compare-model": { type: "string" },
    rounds: { type: "string" },
  },
  strict: true,
});

const repoRoot = resolve(import.meta.dirname, "..");
const quick = args.quick ?? false;
// wrk opens its connections anew each run: at c256 on a busy machine a 1 s run can end before the
// first TLS handshakes do.
const durationSeconds = quick
  ? args["load-generator"] === "autocannon"
    ? 1
    : 2
  : positive(args.duration, "--duration");
const warmupSeconds =
  args.warmup !== undefined ? positive(args.warmup, "--warmup") : quick ? 0.5 : 2;
const batchConnections = positive(args["batch-connections"], "--batch-connections");
const modelSeconds = quick ? 0.3 : Math.min(3, durationSeconds);
const verifyTokens = quick ? 300 : 3000;
const ECHO_CONNECTIONS = 64;
const BATCH_TEXTS = 64;
/** Tokens minted ahead of a warm-up, per second of it (more are minted on the spot if needed). */
const WARMUP_MINT_RATE = 4000;
/** Tokens minted ahead of a measured run = warm-up rate x duration x this... */
const PRE_MINT_FACTOR = 3;
/** ...and at least this many per second of run (a cold warm-up can be slower than the run). */
const MIN_PRE_MINT_RATE = 1000;
/** wrk cannot mint during a run: tokens for a warm-up, per second of it... */
const WRK_WARMUP_RATE = quick ? 3000 : 12_000;
/** ...and for a measured run, this many times the warm-up's rate (tokens are reused across servers). */
const WRK_PRE_MINT_FACTOR = 2;
/** Reuse mode: this many tokens (one per connection at c64), each sent again and again. */
const REUSED_TOKENS = 64;
/** Interleaved rounds of the anchor comparison (echo, minimal check, service, reuse mode). */
const ANCHOR_ROUNDS = roundsOr(quick ? 1 : 2);

/** --rounds when given, else `fallback`. */
function roundsOr(fallback: number): number {
  return args.rounds === undefined ? fallback : positive(args.rounds, "--rounds");
}

function positive(value: string | undefined, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    process.stderr.write(`bench: ${name} must be a positive number\n`);
    process.exit(2);
  }
  return number;
}

type ServerConfigName =
  | "default"
  | "batching-off"
  | "warn-logging"
  | "no-prediction-log"
  | "reuse-mode";

type TokenAlgorithm = BenchIssuer["alg"];

interface Scenario {
  readonly id: ScenarioId;
  readonly label: string;
  readonly server: ServerConfigName;
  readonly connections: number;
  readonly batch: boolean;
  /** The callers' key type; RS256 unless stated. */
  readonly alg?: TokenAlgorithm;
}

const SCENARIOS: readonly Scenario[] = [
  { id: "single-c1", label: "single text", server: "default", connections: 1, batch: false },
  { id: "single-c16", label: "single text", server: "default", connections: 16, batch: false },
  { id: "single-c64", label: "single text", server: "default", connections: 64, batch: false },
  { id: "single-c256", label: "single text", server: "default", connections: 256, batch: false },
  {
    id: "batch64",
    label: `batch of ${BATCH_TEXTS} texts`,
    server: "default",
    connections: batchConnections,
    batch: true,
  },
  {
    id: "single-c64-batching-off",
    label: "single text",
    server: "batching-off",
    connections: 64,
    batch: false,
  },
  {
    id: "single-c64-warn-logging",
    label: "single text",
    server: "warn-logging",
    connections: 64,
    batch: false,
  },
  {
    id: "batch64-no-prediction-log",
    label: `batch of ${BATCH_TEXTS} texts`,
    server: "no-prediction-log",
    connections: batchConnections,
    batch: true,
  },
  {
    id: "single-c64-es256",
    label: "single text, ES256 tokens",
    server: "default",
    connections: 64,
    batch: false,
    alg: "ES256",
  },
];

/** The scenarios named by a command-line option, in SCENARIOS order; exits if one is unknown. */
function scenariosNamed(ids: readonly string[], option: string): Scenario[] {
  const unknown = ids.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown ${option} scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}\n`,
    );
    process.exit(2);
  }
  return SCENARIOS.filter((scenario) => ids.includes(scenario.id));
}

/** The scenarios to run: all, or --only's plus the two the goals are computed from. */
const selectedScenarios: readonly Scenario[] =
  args.only === undefined
    ? SCENARIOS
    : scenariosNamed(
        [...args.only.split(",").map((id) => id.trim()), "single-c64", "batch64"],
        "--only",
      );

/** The scenario whose load the profiled server runs under (--profile). */
const [profiledScenario] = scenariosNamed([args.profile], "--profile") as [Scenario];

const SERVER_SETTINGS: Record<ServerConfigName, { setup: string; env: Record<string, string> }> = {
  // The production defaults: the access log at info (one line per request, into the log file).
  default: { setup: "", env: { LOG_LEVEL: "info" } },
  "batching-off": { setup: "BATCH_MAX_SIZE=1", env: { LOG_LEVEL: "info", BATCH_MAX_SIZE: "1" } },
  "warn-logging": { setup: "LOG_LEVEL=warn", env: { LOG_LEVEL: "warn" } },
  "no-prediction-log": {
    setup: "PREDICTION_LOG=false",
    env: { LOG_LEVEL: "info", PREDICTION_LOG: "false" },
  },
  "reuse-mode": {
    setup: "ASAP_REPLAY_PROTECTION=false",
    env: { LOG_LEVEL: "info", ASAP_REPLAY_PROTECTION: "false" },
  },
};

interface Bench {
  readonly workDir: string;
  readonly ca: string;
  /** One issuer per key type, all in one public-key repository. */
  readonly issuers: Readonly<Record<TokenAlgorithm, BenchIssuer>>;
  readonly baseEnv: Record<string, string>;
  readonly texts: readonly string[];
  /** wrk's path when it drives the load, else undefined (autocannon). */
  readonly wrk: string | undefined;
  /** Token files for wrk, per key type. */
  readonly supplies: Readonly<Record<TokenAlgorithm, TokenSupply>>;
  /** The wrk command lines used (for the report). */
  readonly wrkCommands: Set<string>;
}

function bodiesFor(texts: readonly string[], batch: boolean): string[] {
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

/** How a run's requests carry tokens. */
type TokenUse =
  /** No Authorization header. */
  | "none"
  /** A fresh token (new jti) per request. */
  | "fresh"
  /** REUSED_TOKENS tokens (one per connection at c64), sent in turn again and again. */
  | "reuse";

interface MeasureSpec {
  label: string;
  setup: string;
  path: string;
  connections: number;
  batch: boolean;
  /** Whose tokens to send (RS256 when undefined and tokens are sent). */
  alg?: TokenAlgorithm | undefined;
  tokens: TokenUse;
  /** The replay store the tokens land in (default: the server process's own). */
  replayScope?: string;
}

/** Warm-up, pre-mint for the measured run, measure with CPU + memory. */
async function measure(
  bench: Bench,
  server: ServerProcess,
  spec: MeasureSpec,
): Promise<{ run: MeasuredRun; window: TimeWindow }> {
  const driver = bench.wrk
    ? wrkDriver(bench, bench.wrk, server, spec)
    : autocannonDriver(bench, server, spec);
  // A cold server (JIT, TLS handshakes) on a busy machine may answer next to nothing in a short
  // warm-up (--quick: 0.5 s); warm up again until every connection had an answer, up to 30 s.
  let warm = await driver.warmUp();
  for (
    let spent = warmupSeconds;
    warm.ok < spec.connections && spent < 30;
    spent += warmupSeconds
  ) {
    warm = await driver.warmUp();
  }
  // Every answer counts: a warm-up that ran out of tokens had its last requests refused as
  // replays, and its 2xx rate alone would leave the measured run short of tokens.
  let rate = (warm.ok + warm.non2xx) / Math.max(warm.durationSeconds, 1e-9);
  for (let attempt = 1; ; attempt++) {
    const preMinted = await driver.prepare(rate);
    const cpuBefore = processTreeCpuSeconds(server.pid);
    const threadsBefore = processTreeThreadCpu(server.pid);
    const startMicros = monotonicMicros();
    const { result, generatorCpuSeconds, liveMinted } = await driver.run();
    const window = { startMicros, endMicros: monotonicMicros() };
    const answered = result.ok + result.non2xx;
    // wrk cannot mint: a run past the end of its token file (a cold warm-up set the count too
    // low) is measured once more with tokens for the rate it reached.
    if (bench.wrk !== undefined && spec.tokens === "fresh" && liveMinted > 0 && attempt < 2) {
      rate = answered / Math.max(result.durationSeconds, 1e-9);
      continue;
    }
    const cpuSeconds = processTreeCpuSeconds(server.pid) - cpuBefore;
    const threadsAfter = processTreeThreadCpu(server.pid);
    const run: MeasuredRun = {
      label: spec.label,
      setup: spec.setup,
      textsPerRequest: spec.batch ? BATCH_TEXTS : 1,
      load: result,
      serverCpuMsPerRequest: answered > 0 ? (cpuSeconds * 1000) / answered : Number.NaN,
      loadGeneratorCpuMsPerRequest:
        answered > 0 ? (generatorCpuSeconds * 1000) / answered : Number.NaN,
      threadCpuMsPerRequest: threadCpuPerRequest(threadsBefore, threadsAfter, answered),
      memory: processTreeMemory(server.pid),
      tokens: { preMinted, liveMinted, use: spec.tokens },
    };
    return { run, window };
  }
}

interface LoadDriver {
  warmUp(): Promise<LoadResult>;
  /** Gets the measured run's tokens ready (given the warm-up's rate); returns how many. */
  prepare(warmUpRate: number): Promise<number>;
  run(): Promise<{ result: LoadResult; generatorCpuSeconds: number; liveMinted: number }>;
}

/** Tokens ready for a measured run of `seconds` at about `rate` requests a second. */
function preMintCount(rate: number, seconds: number, connections: number, factor: number): number {
  return Math.ceil(Math.max(rate * factor, MIN_PRE_MINT_RATE) * seconds) + connections * 4 + 500;
}

/** autocannon in this process: tokens from a pool (minted on the spot if it runs dry). */
function autocannonDriver(bench: Bench, server: ServerProcess, spec: MeasureSpec): LoadDriver {
  const issuer = bench.issuers[spec.alg ?? "RS256"];
  const pool = new TokenPool(issuer, tokenLifetimeSeconds());
  let reused: readonly string[] = [];
  let reusedIndex = 0;
  const nextToken =
    spec.tokens === "fresh"
      ? () => pool.next()
      : spec.tokens === "reuse"
        ? () => reused[reusedIndex++ % reused.length] as string
        : undefined;
  const load = (seconds: number) =>
    runLoad({
      url: `${server.origin}${spec.path}`,
      connections: spec.connections,
      durationSeconds: seconds,
      bodies: bodiesFor(bench.texts, spec.batch),
      textsPerRequest: spec.batch ? BATCH_TEXTS : 1,
      ...(nextToken ? { nextToken } : {}),
    });
  const warmUpTokens = Math.ceil(WARMUP_MINT_RATE * warmupSeconds);
  return {
    async warmUp() {
      if (spec.tokens === "reuse" && reused.length === 0) {
        reused = (await bench.supplies[spec.alg ?? "RS256"].reusable(REUSED_TOKENS)).tokens;
      }
      // A repeated warm-up keeps what the previous one left unused.
      if (spec.tokens === "fresh" && pool.remaining < warmUpTokens) await pool.fill(warmUpTokens);
      return load(warmupSeconds);
    },
    async prepare(rate) {
      if (spec.tokens !== "fresh") return 0;
      const count = preMintCount(rate, durationSeconds, spec.connections, PRE_MINT_FACTOR);
      await pool.fill(count);
      return count;
    },
    async run() {
      const before = process.cpuUsage();
      const result = await load(durationSeconds);
      const used = process.cpuUsage(before);
      return {
        result,
        generatorCpuSeconds: (used.user + used.system) / 1e6,
        liveMinted: pool.liveMinted,
      };
    },
  };
}

/** wrk in a child process: tokens from files minted ahead (TokenSupply); none minted during runs. */
function wrkDriver(
  bench: Bench,
  wrk: string,
  server: ServerProcess,
  spec: MeasureSpec,
): LoadDriver {
  const supply = bench.supplies[spec.alg ?? "RS256"];
  const scope = spec.replayScope ?? String(server.pid);
  let measuredTokens: TokenFile | undefined;
  let reused: TokenFile | undefined;
  const load = (seconds: number, tokens: TokenFile | undefined) =>
    runWrk({
      wrk,
      url: `${server.origin}${spec.path}`,
      connections: spec.connections,
      durationSeconds: seconds,
      workDir: bench.workDir,
      bodies: bodiesFor(bench.texts, spec.batch),
      textsPerRequest: spec.batch ? BATCH_TEXTS : 1,
      ...(tokens
        ? { tokens: { ...tokens, mode: spec.tokens === "reuse" ? "cycle" : "fresh" } }
        : {}),
    });
  const tokensFor = async (count: number, seconds: number): Promise<TokenFile | undefined> => {
    if (spec.tokens === "none") return undefined;
    if (spec.tokens === "reuse") {
      reused ??= await supply.reusable(REUSED_TOKENS);
      return reused;
    }
    return supply.take(scope, count, seconds + 120);
  };
  return {
    async warmUp() {
      const seconds = Math.max(1, Math.round(warmupSeconds));
      return load(seconds, await tokensFor(Math.ceil(WRK_WARMUP_RATE * seconds), seconds));
    },
    async prepare(rate) {
      const count = preMintCount(rate, durationSeconds, spec.connections, WRK_PRE_MINT_FACTOR);
      measuredTokens = await tokensFor(count, durationSeconds);
      return spec.tokens === "fresh" ? count : 0;
    },
    async run() {
      const result: WrkResult = await load(durationSeconds, measuredTokens);
      bench.wrkCommands.add(result.command);
      return {
        result,
        generatorCpuSeconds: result.cpuSeconds,
        // Requests past the end of the token file reused a token: counted like live-minted ones.
        liveMinted: result.exhaustedTokens,
      };
    },
  };
}

function tokenLifetimeSeconds(): number {
  return Math.min(3600, Math.ceil(warmupSeconds + durationSeconds + 300));
}

/** Each thread's CPU over a run per answered request: main (HTTP) threads summed, then the rest. */
function threadCpuPerRequest(
  before: readonly ThreadCpu[],
  after: readonly ThreadCpu[],
  answered: number,
): MeasuredRun["threadCpuMsPerRequest"] {
  const startSeconds = new Map(before.map((thread) => [thread.tid, thread.seconds]));
  let httpThreads = 0;
  const others: number[] = [];
  for (const thread of after) {
    const ms = ((thread.seconds - (startSeconds.get(thread.tid) ?? 0)) * 1000) / answered;
    if (thread.tid === thread.pid) httpThreads += ms;
    else others.push(ms);
  }
  return { httpThreads, others: others.sort((a, b) => b - a) };
}

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

let serverStarts = 0;

async function startConfigured(
  bench: Bench,
  name: ServerConfigName,
  profileDir?: string,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<ServerProcess> {
  const extra = Object.entries(extraEnv).map(([key, value]) => `, ${key}=${value}`);
  progress(`starting the service (${name}${extra.join("")}${profileDir ? ", --cpu-prof" : ""})`);
  return startService({
    repoRoot,
    workDir: bench.workDir,
    name: `service-${name}${profileDir ? "-profiled" : ""}-${serverStarts + 1}`,
    env: {
      ...bench.baseEnv,
      ...SERVER_SETTINGS[name].env,
      ...extraEnv,
      // The prediction log stays on, into a scratch SQLite file instead of the repository's var/.
      DATABASE_URL: `sqlite:${join(bench.workDir, `predictions-${name}-${++serverStarts}.sqlite`)}`,
    },
    ca: bench.ca,
    ...(profileDir ? { nodeFlags: ["--cpu-prof", "--cpu-prof-dir", profileDir] } : {}),
  });
}

async function runScenario(
  bench: Bench,
  server: ServerProcess,
  scenario: Scenario,
): Promise<{ run: ServedRun; window: TimeWindow }> {
  progress(`measuring ${scenario.id} (${scenario.connections} connections)`);
  const { run, window } = await measure(bench, server, {
    label: scenario.label,
    setup: SERVER_SETTINGS[scenario.server].setup,
    path: scenario.batch ? "/v1/sentiment/batch" : "/v1/sentiment",
    connections: scenario.connections,
    batch: scenario.batch,
    alg: scenario.alg ?? "RS256",
    tokens: "fresh",
  });
  return { run: { ...run, id: scenario.id }, window };
}

function summariseProfiles(dir: string, window: TimeWindow, scope: string): ProfileReport {
  const files = listProfiles(dir);
  const main = files.filter((file) => file.threadId === 0);
  if (main.length === 0) throw new Error(`no main-thread CPU profile in ${dir}`);
  // node:cluster: the busiest main thread is an HTTP worker, not the idle primary.
  const summaries = main.map((file) => summariseCpuProfile(readProfile(file.file), window));
  const mainThread = summaries.reduce((best, summary) =>
    summary.busyMs > best.busyMs ? summary : best,
  );
  const otherThreads = files
    .filter((file) => file.threadId !== 0)
    .map((file) => {
      const profile = readProfile(file.file);
      const summary = summariseCpuProfile(profile, window);
      return {
        threadId: file.threadId,
        role: threadRole(profile),
        busyShare: summary.busyMs / Math.max(1e-9, summary.wallMs),
      };
    })
    .filter((thread) => Number.isFinite(thread.busyShare) && thread.busyShare >= 0)
    .sort((a, b) => a.threadId - b.threadId);
  return { scope, mainThread, otherThreads };
}

function threadRole(profile: CpuProfile): string {
  if (profileRuns(profile, /\/src\/serving\/inference-worker\./)) return "inference worker";
  if (profileRuns(profile, /\/src\/predictions\/sqlite-writer-worker\./)) {
    return "prediction log writer";
  }
  if (profileRuns(profile, /\/node_modules\/tsx\//)) return "tsx loader";
  return "other";
}

function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The first model a server reports on /v1/models, or undefined when the answer has none. */
async function servedModel(
  bench: Bench,
  server: ServerProcess,
): Promise<{ status: number; model?: { name?: string; version?: string; backend?: string } }> {
  const response = await httpsGet(`${server.origin}/v1/models`, bench.ca, {
    authorization: `Bearer ${bench.issuers.RS256.mint(60)}`,
  });
  try {
    const body = JSON.parse(response.body) as {
      models?: { name?: string; version?: string; backend?: string }[];
    };
    return { status: response.status, ...(body.models?.[0] ? { model: body.models[0] } : {}) };
  } catch {
    return { status: response.status };
  }
}

async function serverBackend(bench: Bench, server: ServerProcess): Promise<string> {
  const { status, model } = await servedModel(bench, server);
  return model?.backend ?? `unknown (HTTP ${status})`;
}

interface Limits {
  readonly model: ModelThroughputReport;
  readonly verify: readonly TokenVerifyCost[];
  readonly anchor: AnchorComparison;
}

/** The servers of the anchor comparison, started once and measured in interleaved rounds. */
async function startAnchorServers(
  bench: Bench,
  tlsDir: string,
): Promise<{ echo: ServerProcess; service: ServerProcess; reuse: ServerProcess }> {
  progress("starting the echo server and two services (defaults, reuse mode)");
  const started = await Promise.allSettled([
    startEchoServer({ repoRoot, workDir: bench.workDir, tlsDir, env: bench.baseEnv }),
    startConfigured(bench, "default"),
    startConfigured(bench, "reuse-mode"),
  ]);
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    await Promise.all(
      started.map((result) => (result.status === "fulfilled" ? result.value.stop() : undefined)),
    );
    throw failure.reason;
  }
  const [echo, service, reuse] = started.map(
    (result) => (result as PromiseFulfilledResult<ServerProcess>).value,
  ) as [ServerProcess, ServerProcess, ServerProcess];
  return { echo, service, reuse };
}

/**
 * Issue 13's side-by-side: the unauthenticated echo, the echo behind the minimal correct ASAP
 * check (the anchor), the echo behind the service's own verification, the service at its defaults
 * (fresh RS256 token per request) and in reuse mode, one after the other in each round (A B A B).
 */
async function measureAnchorComparison(bench: Bench, tlsDir: string): Promise<AnchorComparison> {
  const { echo, service, reuse } = await startAnchorServers(bench, tlsDir);
  const single = (label: string, setup: string, path: string, tokens: TokenUse): MeasureSpec => ({
    label,
    setup,
    path,
    connections: ECHO_CONNECTIONS,
    batch: false,
    tokens,
    ...(tokens === "none" ? {} : { alg: "RS256" as const }),
  });
  const rows: [keyof AnchorRound, ServerProcess, MeasureSpec][] = [
    ["echo", echo, single("HTTPS echo, no auth, no model (transport limit)", "", "/echo", "none")],
    [
      "minimal",
      echo,
      single(
        "HTTPS echo + minimal correct ASAP check (RS256), no model (anchor)",
        "",
        "/min/echo",
        "fresh",
      ),
    ],
    [
      "authEcho",
      echo,
      single(
        "HTTPS echo + ASAP (RS256, replay on), no model (the service's verifier)",
        "",
        "/auth/echo",
        "fresh",
      ),
    ],
    ["service", service, single("single text, defaults", "", "/v1/sentiment", "fresh")],
    [
      "reuse",
      reuse,
      single(
        `single text, reuse mode (${REUSED_TOKENS} tokens reused)`,
        "ASAP_REPLAY_PROTECTION=false",
        "/v1/sentiment",
        "reuse",
      ),
    ],
  ];
  const rounds: AnchorRound[] = [];
  try {
    for (let round = 1; round <= ANCHOR_ROUNDS; round++) {
      const measured: Partial<Record<keyof AnchorRound, MeasuredRun>> = {};
      for (const [key, server, spec] of rows) {
        progress(`anchor comparison round ${round}: ${key}`);
        // The service's own store is per process: its scope is the process, not the path.
        const scope = server === echo ? `${server.pid}${spec.path}` : String(server.pid);
        measured[key] = (await measure(bench, server, { ...spec, replayScope: scope })).run;
      }
      rounds.push(measured as AnchorRound);
    }
  } finally {
    await Promise.all([echo.stop(), service.stop(), reuse.stop()]);
  }
  return { rounds };
}

/** name@version of the model a server serves (from /v1/models). */
async function servedModelName(
  bench: Bench,
  server: ServerProcess,
  dir: string,
): Promise<ServedModelName> {
  const { model } = await servedModel(bench, server);
  return { dir, model: `${model?.name ?? "unknown"}@${model?.version ?? "unknown"}` };
}

/**
 * --compare-model: two default services, one on the configured model and one on `otherDir`, the
 * single-text c64 and batch rows measured in `rounds` interleaved rounds (A B A B).
 */
async function measureModelComparison(
  bench: Bench,
  currentDir: string,
  otherDir: string,
  rounds: number,
): Promise<ModelComparison> {
  const started = await Promise.allSettled([
    startConfigured(bench, "default"),
    startConfigured(bench, "default", undefined, { MODEL_DIR: otherDir }),
  ]);
  const servers = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  try {
    const failure = started.find((result) => result.status === "rejected");
    if (failure !== undefined) throw failure.reason;
    const [current, other] = servers as [ServerProcess, ServerProcess];
    const single = SCENARIOS.find((scenario) => scenario.id === "single-c64") as Scenario;
    const batch = SCENARIOS.find((scenario) => scenario.id === "batch64") as Scenario;
    const measuredRounds: { current: ModelRound; other: ModelRound }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const runs: Record<
        "current" | "other",
        { -readonly [K in keyof ModelRound]?: ModelRound[K] }
      > = { current: {}, other: {} };
      for (const [row, scenario] of [
        ["single", single],
        ["batch", batch],
      ] as const) {
        for (const [which, server] of [
          ["current", current],
          ["other", other],
        ] as const) {
          progress(`model comparison round ${round}: ${row}, ${which}`);
          runs[which][row] = (await runScenario(bench, server, scenario)).run;
        }
      }
      measuredRounds.push(runs as { current: ModelRound; other: ModelRound });
    }
    return {
      current: await servedModelName(bench, current, relative(repoRoot, currentDir) || "."),
      other: await servedModelName(bench, other, otherDir),
      rounds: measuredRounds,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** The compute limit (model in-process) and token verification CPU. */
async function measureLimits(bench: Bench, modelDir: string, tlsDir: string): Promise<Limits> {
  progress("model throughput in-process (batch 1, 32, 64)");
  const model = await measureModelThroughput(modelDir, [1, 32, 64], modelSeconds, bench.texts);
  progress("token verification CPU in-process");
  const verify = [
    await measureTokenVerifyCost(bench.issuers.RS256, verifyTokens),
    await measureTokenVerifyCost(bench.issuers.ES256, verifyTokens),
  ];
  const anchor = await measureAnchorComparison(bench, tlsDir);
  return { model, verify, anchor };
}

interface ServedRuns {
  readonly served: ServedRun[];
  readonly backend: string;
  /** When the profiled server was under measured load. */
  readonly profileWindow: TimeWindow | undefined;
}

/** Starts one service per configuration at once; all or none (the started ones are stopped). */
async function startAll(
  bench: Bench,
  names: readonly ServerConfigName[],
  profileDir: string | undefined,
): Promise<Map<ServerConfigName, ServerProcess>> {
  const settled = await Promise.allSettled(
    names.map((name) =>
      startConfigured(bench, name, name === profiledScenario.server ? profileDir : undefined),
    ),
  );
  const started = settled.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  const failure = settled.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    await Promise.all(started.map((server) => server.stop()));
    throw failure.reason;
  }
  return new Map(names.map((name, i) => [name, started[i] as ServerProcess]));
}

/** --quick: every scenario against the already running server of its configuration. */
async function runShared(
  bench: Bench,
  servers: ReadonlyMap<ServerConfigName, ServerProcess>,
): Promise<ServedRuns> {
  const server = (name: ServerConfigName) => servers.get(name) as ServerProcess;
  const backend = await serverBackend(bench, server("default"));
  const served: ServedRun[] = [];
  let profileWindow: TimeWindow | undefined;
  for (const scenario of selectedScenarios) {
    const { run, window } = await runScenario(bench, server(scenario.server), scenario);
    served.push(run);
    if (scenario.server === "default") {
      profileWindow = {
        startMicros: profileWindow?.startMicros ?? window.startMicros,
        endMicros: window.endMicros,
      };
    }
  }
  return { served, backend, profileWindow };
}

/** A fresh service per scenario (replay store, caches and memory start clean), then the profile. */
async function runFresh(bench: Bench, profileDir: string | undefined): Promise<ServedRuns> {
  const served: ServedRun[] = [];
  let backend = "unknown";
  for (const scenario of selectedScenarios) {
    const server = await startConfigured(bench, scenario.server);
    try {
      if (backend === "unknown") backend = await serverBackend(bench, server);
      served.push((await runScenario(bench, server, scenario)).run);
    } finally {
      await server.stop();
    }
  }
  if (profileDir === undefined) return { served, backend, profileWindow: undefined };
  const server = await startConfigured(bench, profiledScenario.server, profileDir);
  try {
    progress(`profiling ${profiledScenario.id}`);
    const { window } = await runScenario(bench, server, profiledScenario);
    return { served, backend, profileWindow: window };
  } finally {
    await server.stop();
  }
}

/** The client package's rows (scripts/bench/client-throughput.ts), on a fresh default server. */
async function measureClient(bench: Bench): Promise<ClientRuns> {
  const server = await startConfigured(bench, "default");
  try {
    progress("measuring the client package (scoreMany, 10,000 texts)");
    return await measureClientRuns({
      origin: server.origin,
      ca: bench.ca,
      issuer: bench.issuers.RS256.spec,
      sampleTexts: bench.texts,
      warmupSeconds,
      durationSeconds,
    });
  } finally {
    await server.stop();
  }
}

/** --quick: the services start while the limits are measured (quick numbers are not numbers). */
async function runQuick(
  bench: Bench,
  modelDir: string,
  tlsDir: string,
  profileDir: string | undefined,
): Promise<{ limits: Limits; servedRuns: ServedRuns }> {
  const pending = startAll(
    bench,
    [...new Set(selectedScenarios.map((scenario) => scenario.server))],
    profileDir,
  );
  pending.catch(() => {}); // Awaited below; this keeps an early start-up failure from being unhandled.
  const stopAll = (servers: ReadonlyMap<ServerConfigName, ServerProcess>) =>
    Promise.all([...servers.values()].map((server) => server.stop()));
  let limits: Limits;
  try {
    limits = await measureLimits(bench, modelDir, tlsDir);
  } catch (error) {
    await pending.then(stopAll, () => {});
    throw error;
  }
  const servers = await pending;
  try {
    return { limits, servedRuns: await runShared(bench, servers) };
  } finally {
    await stopAll(servers);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAverageStart = loadavg();
  const workDir = mkdtempSync(join(tmpdir(), "sentiment-bench-"));
  scratchDir = workDir;
  try {
    const tlsDir = join(workDir, "tls");
    const tls = await loadTlsCredentials({ certFile: null, keyFile: null, selfSignedDir: tlsDir });
    const keysDir = join(workDir, "keys");
    const issuers = {
      RS256: await createBenchIssuer(keysDir, { issuer: "bench-client", alg: "RS256" }),
      ES256: await createBenchIssuer(keysDir, { issuer: "bench-client-es", alg: "ES256" }),
    };
    const baseEnv: Record<string, string> = {
      // --quick: one inference worker per server, so the servers start faster.
      ...(quick ? { INFERENCE_WORKERS: "1" } : {}),
      ASAP_PUBLICKEY_REPOSITORY: issuers.RS256.publicKeyRepository,
      ASAP_VALID_AUDIENCE: BENCH_AUDIENCE,
      ASAP_REPLAY_PROTECTION: "true",
      // Metrics stay on, each server on its own free port; logs are JSON lines into a file.
      METRICS_HOST: "127.0.0.1",
      METRICS_PORT: "0",
      LOG_FORMAT: "json",
      // Rate limiting stays on (its cost is measured) but one bench issuer must not hit the limit.
      RATE_LIMIT_ENABLED: "true",
      RATE_LIMIT_RPS: "1000000",
      RATE_LIMIT_BURST: "10000000",
      TLS_CERT_FILE: join(tlsDir, "localhost.crt"),
      TLS_KEY_FILE: join(tlsDir, "localhost.key"),
    };
    const config = loadConfig({ ...process.env, ...baseEnv, LOG_LEVEL: "warn" }, repoRoot);
    const generator = args["load-generator"];
    if (!["auto", "wrk", "autocannon"].includes(generator ?? "")) {
      process.stderr.write("bench: --load-generator must be auto, wrk or autocannon\n");
      process.exit(2);
    }
    const wrk = generator === "autocannon" ? undefined : findWrk();
    if (generator === "wrk" && wrk === undefined) {
      process.stderr.write(
        "bench: --load-generator wrk, but wrk is not installed (apt-get install wrk)\n",
      );
      process.exit(2);
    }
    const tokenDir = join(workDir, "tokens");
    mkdirSync(tokenDir);
    const bench: Bench = {
      workDir,
      ca: tls.cert,
      issuers,
      baseEnv,
      texts: sampleTexts(100),
      wrk,
      // The longest lifetime the service accepts (ASAP_MAX_LIFETIME_SECONDS), so sets outlive a run.
      supplies: {
        RS256: new TokenSupply(issuers.RS256, tokenDir, 3600),
        ES256: new TokenSupply(issuers.ES256, tokenDir, 3600),
      },
      wrkCommands: new Set(),
    };
    progress(`load generator: ${wrk ? `wrk (${wrk})` : "autocannon"}`);
    const mintCpuMicrosPerToken = mintCpuMicros(issuers.RS256);
    const profileDir = join(workDir, "profile");
    mkdirSync(profileDir);
    const wantProfile = !(args["skip-profile"] ?? false);

    const modelDir = resolve(repoRoot, config.model.dir);
    if (args["compare-model"] !== undefined) {
      const comparison = await measureModelComparison(
        bench,
        modelDir,
        args["compare-model"],
        roundsOr(3),
      );
      const markdown = `# Model comparison\n\n- Date: ${new Date().toISOString()}\n- Command: \`npm run bench -- ${process.argv.slice(2).join(" ")}\`\n- Load generator: ${wrk ? "wrk (1 thread, a fresh RS256 token per request)" : "autocannon"}; each run ${warmupSeconds} s warm-up, ${durationSeconds} s measured; load average ${loadAverageStart.map((l) => l.toFixed(2)).join(" ")} at start, ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} at end\n\n${renderModelComparison(comparison)}`;
      const output = resolve(process.cwd(), args.output ?? "bench/model-comparison.md");
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, markdown);
      process.stdout.write(markdown);
      progress(`written to ${output}`);
      return;
    }
    const profiled = wantProfile ? profileDir : undefined;
    const { limits, servedRuns } = quick
      ? await runQuick(bench, modelDir, tlsDir, profiled)
      : {
          limits: await measureLimits(bench, modelDir, tlsDir),
          servedRuns: await runFresh(bench, profiled),
        };
    const { served, backend, profileWindow } = servedRuns;
    const clientRuns = await measureClient(bench);
    const profile =
      wantProfile && profileWindow
        ? summariseProfiles(
            profileDir,
            profileWindow,
            quick
              ? "`node --cpu-prof` of the default server, samples from the first to the last measured --quick run on it (warm-ups in between included)"
              : `\`node --cpu-prof\` of a fresh ${profiledScenario.server} server under the ${profiledScenario.id} load (${profiledScenario.label}, ${profiledScenario.connections} connections), samples of the ${durationSeconds} s measured run only (after a ${warmupSeconds} s warm-up)`,
          )
        : undefined;
    const { model, verify, anchor } = limits;
    if (args["keep-profiles"] && profile) {
      cpSync(profileDir, resolve(process.cwd(), args["keep-profiles"]), { recursive: true });
    }

    const report: BenchReport = {
      meta: {
        date: new Date().toISOString(),
        command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
        nproc: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? "unknown CPU",
        nodeVersion: process.version,
        loadAverageStart,
        loadAverageEnd: loadavg(),
        serverBackend: backend,
        httpWorkers: config.server.workers,
        inferenceWorkers:
          config.inference.workers > 0 ? config.inference.workers : availableParallelism(),
        batchMaxSize: config.inference.batchMaxSize,
        batchMaxDelayMs: config.inference.batchMaxDelayMs,
        durationSeconds,
        warmupSeconds,
        batchConnections,
        quick,
        mintCpuMicrosPerToken,
        elapsedSeconds: (performance.now() - started) / 1000,
        loadGenerator: wrk ? "wrk" : "autocannon",
        wrkCommands: [...bench.wrkCommands],
        tokensMinted: bench.supplies.RS256.minted + bench.supplies.ES256.minted,
      },
      model,
      anchor,
      served,
      verify,
      profile,
    };
    const batchRow = served.find((run) => run.id === "batch64");
    const markdown = `${renderReport(report)}\n${renderClientSection(clientRuns, batchRow?.load.textsPerSecond ?? Number.NaN)}`;
    const output = resolve(process.cwd(), args.output ?? "bench/results.md");
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, markdown);
    process.stdout.write(markdown);
    progress(`written to ${output}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

let scratchDir: string | undefined;
stopServersOnExit(() => scratchDir);

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
