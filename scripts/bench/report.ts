/** The benchmark's results as one markdown report: measurements, goals, CPU shares, profile. */
import type { ProfileSummary } from "./cpu-profile.js";
import type { LoadResult } from "./load-run.js";
import type { ModelThroughputReport } from "./model-throughput.js";
import type { ProcessMemory } from "./proc-stats.js";
import type { TokenVerifyCost } from "./token-verify-cost.js";

export type ScenarioId =
  | "single-c1"
  | "single-c16"
  | "single-c64"
  | "single-c256"
  | "batch64"
  | "single-c64-batching-off"
  | "single-c64-warn-logging"
  | "batch64-no-prediction-log"
  | "single-c64-es256";

export interface MeasuredRun {
  readonly label: string;
  /** Server settings that differ from the defaults, e.g. "BATCH_MAX_SIZE=1". */
  readonly setup: string;
  readonly textsPerRequest: number;
  readonly load: LoadResult;
  /** utime+stime of the server's process tree during the run, per answered request. */
  readonly serverCpuMsPerRequest: number;
  /** CPU of the benchmark process (autocannon and its token pool) per answered request. */
  readonly loadGeneratorCpuMsPerRequest: number;
  /** The server's CPU per answered request by thread: its HTTP (main) threads, then the others. */
  readonly threadCpuMsPerRequest: {
    readonly httpThreads: number;
    /** Other threads (inference workers, log writer, V8 and libuv helpers), largest first. */
    readonly others: readonly number[];
  };
  readonly memory: readonly ProcessMemory[];
  readonly tokens: {
    readonly preMinted: number;
    /** Minted during the run (autocannon) or sent past the end of the token file (wrk). */
    readonly liveMinted: number;
    readonly use: "none" | "fresh" | "reuse";
  };
}

/** One round of the anchor comparison, measured in this order. */
export interface AnchorRound {
  /** The HTTPS echo, no auth. */
  readonly echo: MeasuredRun;
  /** The echo behind the minimal correct ASAP check: the anchor. */
  readonly minimal: MeasuredRun;
  /** The echo behind the service's own ASAP verification. */
  readonly authEcho: MeasuredRun;
  /** The service at its defaults, a fresh RS256 token per request. */
  readonly service: MeasuredRun;
  /** The service with replay protection off, the same few tokens reused. */
  readonly reuse: MeasuredRun;
}

export interface AnchorComparison {
  /** Interleaved rounds (A B A B), each on the same servers. */
  readonly rounds: readonly AnchorRound[];
}

export interface ServedRun extends MeasuredRun {
  readonly id: ScenarioId;
}

export interface ProfileReport {
  readonly scope: string;
  readonly mainThread: ProfileSummary;
  /** Busy share of the other threads over the same window (inference workers, tsx's loader...). */
  readonly otherThreads: readonly {
    readonly threadId: number;
    readonly role: string;
    readonly busyShare: number;
  }[];
}

export interface BenchMeta {
  readonly date: string;
  readonly command: string;
  readonly nproc: number;
  readonly cpuModel: string;
  readonly nodeVersion: string;
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd: readonly number[];
  readonly serverBackend: string;
  readonly httpWorkers: number;
  readonly inferenceWorkers: number;
  readonly batchMaxSize: number;
  readonly batchMaxDelayMs: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly batchConnections: number;
  readonly quick: boolean;
  /** CPU microseconds to mint one RS256 token in the load generator. */
  readonly mintCpuMicrosPerToken: number;
  readonly elapsedSeconds: number;
  readonly loadGenerator: "wrk" | "autocannon";
  /** The wrk command lines used (the Lua script reads its tokens from a file). */
  readonly wrkCommands: readonly string[];
  /** Tokens minted ahead into files for wrk. */
  readonly tokensMinted: number;
}

export interface BenchReport {
  readonly meta: BenchMeta;
  readonly model: ModelThroughputReport;
  readonly anchor: AnchorComparison;
  readonly served: readonly ServedRun[];
  /** One entry per key type; the first is the one the default runs use. */
  readonly verify: readonly TokenVerifyCost[];
  readonly profile: ProfileReport | undefined;
}

export interface GoalResult {
  readonly goal: string;
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
}

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a";
const mib = (bytes: number) => fixed(bytes / 1024 / 1024, 0);
const totalRss = (memory: readonly ProcessMemory[]) =>
  memory.reduce((sum, process) => sum + process.rssBytes, 0);

/** A served run by id; throws when the scenario was not measured. */
function servedRun(report: Pick<BenchReport, "served">, id: ScenarioId): ServedRun {
  const run = report.served.find((candidate) => candidate.id === id);
  if (run === undefined) throw new Error(`scenario ${id} was not measured`);
  return run;
}

type RunsOf = Pick<BenchReport, "served" | "anchor">;

/** Every run against a server: the anchor comparison's, then the service's scenarios. */
function serverRuns(report: RunsOf): MeasuredRun[] {
  return [...anchorRuns(report.anchor), ...report.served];
}

function anchorRuns(anchor: AnchorComparison): MeasuredRun[] {
  return anchor.rounds.flatMap((round) => [
    round.echo,
    round.minimal,
    round.authEcho,
    round.service,
    round.reuse,
  ]);
}

/** Errors (connection errors, timeouts) plus non-2xx answers over every run against servers. */
function totalFailures(report: RunsOf): number {
  return serverRuns(report).reduce((sum, run) => sum + failuresOf(run), 0);
}

const failuresOf = (run: MeasuredRun) => run.load.errors + run.load.non2xx;

/** Requests a second of one row summed over the rounds (all rounds last as long). */
function roundsRate(anchor: AnchorComparison, key: keyof AnchorRound): number {
  return anchor.rounds.reduce((sum, round) => sum + round[key].load.requestsPerSecond, 0);
}

/** `a` / `b` over all rounds, and each round's own ratio. */
export function anchorRatio(
  anchor: AnchorComparison,
  a: keyof AnchorRound,
  b: keyof AnchorRound,
): { ratio: number; perRound: number[] } {
  return {
    ratio: roundsRate(anchor, a) / roundsRate(anchor, b),
    perRound: anchor.rounds.map(
      (round) => round[a].load.requestsPerSecond / round[b].load.requestsPerSecond,
    ),
  };
}

const ratioText = (
  anchor: AnchorComparison,
  a: keyof AnchorRound,
  b: keyof AnchorRound,
  ratio: { ratio: number; perRound: number[] },
) =>
  `${fixed(ratio.ratio, 2)} (${fixed(roundsRate(anchor, a) / anchor.rounds.length, 0)} / ${fixed(roundsRate(anchor, b) / anchor.rounds.length, 0)} req/s${anchor.rounds.length > 1 ? `; by round ${ratio.perRound.map((value) => fixed(value, 2)).join(", ")}` : ""})`;

/** The goals (issue 13's and the batch goal), as ratios of numbers measured in this run. */
function evaluateGoals(report: BenchReport): GoalResult[] {
  const { anchor } = report;
  const batch = servedRun(report, "batch64");
  const modelAt64 = report.model.results.find((result) => result.batchSize === 64);
  const computeRatio = batch.load.textsPerSecond / (modelAt64?.textsPerSecond ?? Number.NaN);
  const service = anchorRatio(anchor, "service", "minimal");
  const reuse = anchorRatio(anchor, "reuse", "echo");
  const worstP99 = (key: keyof AnchorRound) =>
    Math.max(...anchor.rounds.map((round) => round[key].load.p99Ms));
  const anchorFailures = anchor.rounds.reduce(
    (sum, round) => sum + failuresOf(round.service) + failuresOf(round.reuse),
    0,
  );
  const failures = totalFailures(report);
  return [
    {
      goal: "service / minimal check: single text at c64, defaults, a fresh RS256 token per request / the minimal correct ASAP check",
      measured: ratioText(anchor, "service", "minimal", service),
      target: ">= 0.8",
      pass: service.ratio >= 0.8,
    },
    {
      goal: "reuse mode / echo: single text at c64, replay protection off, tokens reused / the unauthenticated echo",
      measured: ratioText(anchor, "reuse", "echo", reuse),
      target: ">= 0.5",
      pass: reuse.ratio >= 0.5,
    },
    {
      goal: "p99 latency at c64, defaults and reuse mode (worst round)",
      measured: `${fixed(worstP99("service"), 1)} ms and ${fixed(worstP99("reuse"), 1)} ms`,
      target: "<= 50 ms",
      pass: worstP99("service") <= 50 && worstP99("reuse") <= 50,
    },
    {
      goal: "errors + non-2xx, defaults and reuse mode",
      measured: String(anchorFailures),
      target: "0",
      pass: anchorFailures === 0,
    },
    {
      goal: `batch-of-64 texts/s / in-process texts/s at batch 64 (service: ${report.meta.inferenceWorkers} inference worker(s); in-process: 1 thread)`,
      measured: `${fixed(computeRatio, 2)} (${fixed(batch.load.textsPerSecond, 0)} / ${fixed(modelAt64?.textsPerSecond ?? Number.NaN, 0)})`,
      target: ">= 0.7",
      pass: computeRatio >= 0.7,
    },
    {
      goal: "errors + non-2xx over all runs",
      measured: String(failures),
      target: "0",
      pass: failures === 0,
    },
  ];
}

function measurementRow(name: string, concurrency: string, run: MeasuredRun): string {
  const { load } = run;
  return `| ${name} | ${concurrency} | ${fixed(load.requestsPerSecond, 0)} | ${fixed(load.textsPerSecond, 0)} | ${fixed(load.p50Ms, 1)} | ${fixed(load.p95Ms, 1)} | ${fixed(load.p99Ms, 1)} | ${load.errors} | ${load.non2xx} | ${fixed(run.serverCpuMsPerRequest, 3)} | ${fixed(run.loadGeneratorCpuMsPerRequest, 3)} | ${mib(totalRss(run.memory))} | ${load.generator} |`;
}

function measurementsTable(report: BenchReport): string[] {
  const rows = [
    "| measurement | concurrency | req/s | texts/s | p50 ms | p95 ms | p99 ms | errors | non-2xx | server CPU ms/req | load generator CPU ms/req | server RSS MiB | load generator |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const result of report.model.results) {
    rows.push(
      `| model in-process, batch ${result.batchSize} (compute limit, 1 thread) | - | ${fixed(result.textsPerSecond / result.batchSize, 0)} calls/s | ${fixed(result.textsPerSecond, 0)} | ${fixed(result.p50Ms, 2)} per call | - | - | - | - | - | - | - | - |`,
    );
  }
  const rounds = report.anchor.rounds.length;
  report.anchor.rounds.forEach((round, index) => {
    const suffix = rounds > 1 ? ` (round ${index + 1})` : "";
    for (const run of [round.echo, round.minimal, round.authEcho, round.service, round.reuse]) {
      const setup = run.setup === "" ? "" : ` [${run.setup}]`;
      rows.push(measurementRow(`${run.label}${setup}${suffix}`, String(run.load.connections), run));
    }
  });
  for (const run of report.served) {
    const setup = run.setup === "" ? "" : ` [${run.setup}]`;
    rows.push(measurementRow(`${run.label}${setup}`, String(run.load.connections), run));
  }
  return rows;
}

function goalsTable(goals: readonly GoalResult[]): string[] {
  return [
    "| goal | measured | target | result |",
    "|---|---|---|---|",
    ...goals.map(
      (goal) =>
        `| ${goal.goal} | ${goal.measured} | ${goal.target} | ${goal.pass ? "PASS" : "FAIL"} |`,
    ),
  ];
}

function percent(part: number, whole: number): string {
  return `${fixed((100 * part) / whole, 1)}%`;
}

/** Machine CPU (server + load generator, on the same cores) of one request of a run, in ms. */
const machineCpuMs = (run: MeasuredRun) =>
  run.serverCpuMsPerRequest + run.loadGeneratorCpuMsPerRequest;

/** Server CPU per request of one anchor row, averaged over the rounds. */
function meanServerCpu(anchor: AnchorComparison, key: keyof AnchorRound): number {
  return (
    anchor.rounds.reduce((sum, round) => sum + round[key].serverCpuMsPerRequest, 0) /
    anchor.rounds.length
  );
}

/** What the anchor comparison says: ratios, and where the service's CPU per request goes. */
function anchorFindings(report: BenchReport): string[] {
  const { anchor } = report;
  const cpu = (key: keyof AnchorRound) => fixed(meanServerCpu(anchor, key), 3);
  const authEcho = anchorRatio(anchor, "authEcho", "minimal");
  const serviceToEcho = anchorRatio(anchor, "service", "echo");
  const first = anchor.rounds[0] as AnchorRound;
  return [
    `- Anchor comparison (${anchor.rounds.length} interleaved round(s) on the same servers, each run ${report.meta.durationSeconds} s after a ${report.meta.warmupSeconds} s warm-up): service / minimal check **${fixed(anchorRatio(anchor, "service", "minimal").ratio, 2)}x**, service / echo ${fixed(serviceToEcho.ratio, 2)}x, reuse mode / echo **${fixed(anchorRatio(anchor, "reuse", "echo").ratio, 2)}x**, the service's verifier on the echo / minimal check ${fixed(authEcho.ratio, 2)}x.`,
    `- Server CPU per request (mean of the rounds): echo ${cpu("echo")} ms, minimal check ${cpu("minimal")} ms, the service's verifier on the echo ${cpu("authEcho")} ms, the service at its defaults ${cpu("service")} ms (all threads: HTTP, inference, log writer), reuse mode ${cpu("reuse")} ms. HTTP thread only, round 1: service ${fixed(first.service.threadCpuMsPerRequest.httpThreads, 3)} ms, reuse mode ${fixed(first.reuse.threadCpuMsPerRequest.httpThreads, 3)} ms, minimal check ${fixed(first.minimal.threadCpuMsPerRequest.httpThreads, 3)} ms.`,
    `- Machine CPU per request (server + load generator, on the same ${report.meta.nproc} cores), round 1: echo ${fixed(machineCpuMs(first.echo), 3)} ms, minimal check ${fixed(machineCpuMs(first.minimal), 3)} ms, service ${fixed(machineCpuMs(first.service), 3)} ms, reuse mode ${fixed(machineCpuMs(first.reuse), 3)} ms.`,
  ];
}

function threadCpuSummary(run: MeasuredRun): string {
  const { httpThreads, others } = run.threadCpuMsPerRequest;
  const busiest = others.filter((ms) => ms >= 0.001).slice(0, 4);
  return `${run.label} (c${run.load.connections}): HTTP thread ${fixed(httpThreads, 3)} ms, other threads ${busiest.map((ms) => fixed(ms, 3)).join(", ") || "none"} ms`;
}

function findings(report: BenchReport): string[] {
  const single64 = servedRun(report, "single-c64");
  const lines: string[] = [];
  const echo = (report.anchor.rounds[0] as AnchorRound).echo;
  for (const verify of report.verify) {
    const run =
      verify.alg === "RS256"
        ? single64
        : report.served.find((candidate) => candidate.id === "single-c64-es256");
    if (run === undefined) continue;
    const runMicros = run.serverCpuMsPerRequest * 1000;
    lines.push(
      `- Token verification: ${fixed(verify.cpuMicrosPerToken, 0)} µs CPU per ${verify.alg} token in-process (warm key cache + MemoryReplayGuard, ${verify.tokens} tokens; ${fixed(verify.wallMicrosPerToken, 0)} µs wall) = **${percent(verify.cpuMicrosPerToken, runMicros)}** of the server's ${fixed(runMicros, 0)} µs CPU per single-text request at c64 with ${verify.alg} tokens (whole process: HTTP thread + inference workers + libuv pool).`,
    );
  }
  lines.push(...anchorFindings(report));
  const batch = report.served.find((run) => run.id === "batch64");
  lines.push(
    `- CPU per request by thread (utime + stime from /proc, so time spent descheduled does not count, unlike the profile's busy shares): ${[single64, ...(batch ? [batch] : [])].map(threadCpuSummary).join("; ")}.`,
  );
  lines.push(
    `- CPU per request at c64: the service spends ${fixed(single64.serverCpuMsPerRequest, 3)} ms (all its threads) per single-text request, the echo server ${fixed(echo.serverCpuMsPerRequest, 3)} ms: the TLS + HTTP + Hono transport is ${percent(echo.serverCpuMsPerRequest, single64.serverCpuMsPerRequest)} of a request's CPU.`,
  );
  const off = report.served.find((run) => run.id === "single-c64-batching-off");
  if (off) {
    lines.push(
      `- Dynamic batching (c64, single text): default BATCH_MAX_SIZE=${report.meta.batchMaxSize} gives ${fixed(single64.load.requestsPerSecond, 0)} req/s, p99 ${fixed(single64.load.p99Ms, 1)} ms, ${fixed(single64.serverCpuMsPerRequest, 3)} CPU ms/req; BATCH_MAX_SIZE=1 gives ${fixed(off.load.requestsPerSecond, 0)} req/s, p99 ${fixed(off.load.p99Ms, 1)} ms, ${fixed(off.serverCpuMsPerRequest, 3)} CPU ms/req (throughput x${fixed(single64.load.requestsPerSecond / off.load.requestsPerSecond, 2)} with batching).`,
    );
  }
  const warn = report.served.find((run) => run.id === "single-c64-warn-logging");
  if (warn) {
    lines.push(
      `- Logging cost (c64, single text): the default LOG_LEVEL=info (one access-log line per request, to a file) gives ${fixed(single64.load.requestsPerSecond, 0)} req/s and ${fixed(single64.serverCpuMsPerRequest, 3)} CPU ms/req vs ${fixed(warn.load.requestsPerSecond, 0)} req/s and ${fixed(warn.serverCpuMsPerRequest, 3)} at warn (${percent(single64.serverCpuMsPerRequest - warn.serverCpuMsPerRequest, warn.serverCpuMsPerRequest)} more CPU per request).`,
    );
  }
  const unlogged = report.served.find((run) => run.id === "batch64-no-prediction-log");
  if (unlogged) {
    const batch = servedRun(report, "batch64");
    lines.push(
      `- Prediction log cost (batches of ${batch.textsPerRequest}): ${fixed(batch.load.textsPerSecond, 0)} texts/s and ${fixed(batch.serverCpuMsPerRequest, 3)} CPU ms/req with the SQLite log vs ${fixed(unlogged.load.textsPerSecond, 0)} texts/s and ${fixed(unlogged.serverCpuMsPerRequest, 3)} with PREDICTION_LOG=false (${percent(batch.serverCpuMsPerRequest - unlogged.serverCpuMsPerRequest, batch.serverCpuMsPerRequest)} of a logged request's CPU).`,
    );
  }
  const memory = (run: MeasuredRun) =>
    run.memory
      .map(
        (process) =>
          `pid ${process.pid} ${process.command} ${mib(process.rssBytes)} MiB (peak ${mib(process.peakRssBytes)})`,
      )
      .join(", ");
  lines.push(
    `- RSS after the c64 single-text run: ${memory(single64)}; echo server: ${memory(echo)}. The service's RSS includes its ${report.meta.inferenceWorkers} inference worker thread(s), each with its own model instance.`,
  );
  const live = serverRuns(report).reduce((sum, run) => sum + run.tokens.liveMinted, 0);
  const premint = serverRuns(report).reduce((sum, run) => sum + run.tokens.preMinted, 0);
  lines.push(
    report.meta.loadGenerator === "wrk"
      ? `- Tokens: every request carried its own token (RS256 unless stated; replay protection on), except in reuse mode (the same few tokens in turn). wrk's Lua script reads them from a file minted ahead by worker threads (${report.meta.tokensMinted} minted, unique jti, exp an hour ahead; a file goes to each replay store once, so servers share files) since an RS256 signature costs ${fixed(report.meta.mintCpuMicrosPerToken, 0)} µs CPU; ${premint} were made ready for the measured runs (max(2 x the warm-up's rate, 1000/s) x duration, plus a margin) and ${live} requests ran past the end of a file (they reuse a token and count as non-2xx).`
      : `- Tokens: every request carried its own token (RS256 unless stated; replay protection on), except in reuse mode (the same few tokens in turn). They are minted by worker threads before each warm-up and each measured run (${premint} for the measured runs: max(3 x the warm-up's rate, 1000/s) x duration, plus a margin), since an RS256 signature costs ${fixed(report.meta.mintCpuMicrosPerToken, 0)} µs CPU in the load generator; ${live} had to be minted during the measured runs because a pool ran dry.`,
  );
  const nonOk = serverRuns(report).filter((run) => run.load.non2xx > 0);
  for (const run of nonOk) {
    lines.push(`- ${run.label} ${run.setup}: status codes ${JSON.stringify(run.load.statusCodes)}`);
  }
  return lines;
}

function profileSection(profile: ProfileReport | undefined): string[] {
  if (profile === undefined) return ["## Profile", "", "Not run (--skip-profile)."];
  const main = profile.mainThread;
  const lines = [
    "## Profile",
    "",
    `${profile.scope}. Main (HTTP) thread: ${fixed(main.busyMs, 0)} ms busy of ${fixed(main.wallMs, 0)} ms profiled (${percent(main.busyMs, main.wallMs)}). Other threads busy: ${profile.otherThreads.map((thread) => `thread ${thread.threadId} (${thread.role}) ${percent(thread.busyShare, 1)}`).join(", ") || "n/a"}.`,
    "",
    "Main-thread self time by category (native frames count for their JS caller):",
    "",
    "| category | self ms | share of busy |",
    "|---|---:|---:|",
    ...main.categories.map(
      (entry) =>
        `| ${entry.category} | ${fixed(entry.selfMs, 0)} | ${percent(entry.selfMs, main.busyMs)} |`,
    ),
    "",
    "Top 10 functions by self time:",
    "",
    "| function | location | category | self ms | share of busy |",
    "|---|---|---|---:|---:|",
    ...main.functions
      .slice(0, 10)
      .map(
        (fn) =>
          `| ${fn.name} | ${fn.location || "(native)"} | ${fn.category} | ${fixed(fn.selfMs, 0)} | ${percent(fn.selfMs, main.busyMs)} |`,
      ),
  ];
  return lines;
}

/** The whole report as markdown (printed and written to bench/results.md). */
export function renderReport(report: BenchReport): string {
  const { meta } = report;
  const goals = evaluateGoals(report);
  const loads = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join(" ");
  return [
    "# Benchmark results",
    "",
    `- Date: ${meta.date}${meta.quick ? " (--quick smoke run: numbers are not meaningful)" : ""}`,
    `- Command: \`${meta.command}\``,
    `- Machine: ${meta.nproc} CPUs (${meta.cpuModel}), Node ${meta.nodeVersion}; load average (1/5/15 min) ${loads(meta.loadAverageStart)} at start, ${loads(meta.loadAverageEnd)} at end`,
    meta.loadGenerator === "wrk"
      ? `- Load generator: wrk (every row marked wrk: 1 thread, HTTPS keep-alive, a Lua script that sends each request its own token from a file minted ahead), in a child process on the same machine, competing with the servers for the same ${meta.nproc} cores. Commands: ${meta.wrkCommands.map((command) => `\`${command}\``).join(", ")}. The client package's rows use the client itself.`
      : `- Load generator: autocannon (every row marked autocannon: HTTPS keep-alive, pipelining 1; wrk is not installed or --load-generator autocannon), in the benchmark process on the same machine, competing with the servers for the same ${meta.nproc} cores.`,
    `- Service: \`node --import tsx src/main.ts\`, backend ${meta.serverBackend}, ${meta.httpWorkers} HTTP process(es), ${meta.inferenceWorkers} inference worker thread(s), BATCH_MAX_SIZE=${meta.batchMaxSize}, BATCH_MAX_DELAY_MS=${meta.batchMaxDelayMs}, LOG_LEVEL=info (the production default: an access-log line per request, into a file) unless stated, replay protection on unless stated, rate limiting on with its limit raised out of reach (RATE_LIMIT_RPS=1000000), prediction log on into a scratch SQLite file, Prometheus metrics on; in-process model: backend ${report.model.backend}, ${report.model.model}, 1 thread`,
    `- Each run: ${meta.warmupSeconds} s warm-up, then ${meta.durationSeconds} s measured; batch requests carry 64 texts at concurrency ${meta.batchConnections}. ${meta.quick ? "One server per configuration for all runs." : "A fresh server per run."} Total bench time ${fixed(meta.elapsedSeconds, 0)} s.`,
    "",
    ...measurementsTable(report),
    "",
    ...goalsTable(goals),
    "",
    ...findings(report),
    "",
    ...profileSection(report.profile),
    "",
  ].join("\n");
}
