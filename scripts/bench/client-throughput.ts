/**
 * The client package's rows of the benchmark: `scoreMany` on 10,000 texts with
 * `@sentiment-api/client` (clients/typescript), run in the benchmark process against a fresh
 * service and repeated for the run's duration; once at the client's defaults (the goal: at least
 * 0.9x the texts/s of the batch-of-64 row of the same run) and once in the batch row's own shape
 * (64 texts a request, 8 in flight), which isolates what the client costs next to autocannon.
 */
import { createSentimentClient } from "../../clients/typescript/src/index.js";
import { DEFAULT_LIMITS } from "../../clients/typescript/src/options.js";
import type { MinterSpec } from "./token-minter.js";

/** Texts per scoreMany call. */
export const CLIENT_TEXTS = 10_000;
export const CLIENT_GOAL_RATIO = 0.9;
const BENCH_TIMEOUT_MS = 60_000;

/** How scoreMany splits its texts: texts per request and requests in flight. */
export interface ClientShape {
  readonly maxBatchTexts: number;
  readonly concurrency: number;
}

export interface ClientRun extends ClientShape {
  readonly calls: number;
  readonly seconds: number;
  readonly textsPerSecond: number;
  /** Median wall time of one scoreMany call of CLIENT_TEXTS texts. */
  readonly p50CallMs: number;
  /** CPU of the benchmark process (the client: tokens, JSON, TLS) per 1,000 texts. */
  readonly clientCpuMsPerThousandTexts: number;
}

export interface ClientRunSpec {
  readonly origin: string;
  readonly ca: string;
  /** The caller's identity and key (the bench's RS256 issuer). */
  readonly issuer: MinterSpec;
  /** Texts repeated up to CLIENT_TEXTS. */
  readonly sampleTexts: readonly string[];
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
}

/** The client's runs, or why they failed (the rest of the report is still written). */
export type ClientRuns = { readonly runs: readonly ClientRun[] } | { readonly failure: string };

/** The client's defaults, then the batch row's shape (64 texts, 8 in flight). */
export async function measureClientRuns(spec: ClientRunSpec): Promise<ClientRuns> {
  const runs: ClientRun[] = [];
  try {
    for (const shape of [DEFAULT_LIMITS, { maxBatchTexts: 64, concurrency: 8 }]) {
      runs.push(await measureClientRun(spec, shape));
    }
    return { runs };
  } catch (error) {
    return { failure: error instanceof Error ? error.message : String(error) };
  }
}

/** scoreMany(10,000 texts) back to back: for the warm-up, then measured for the duration. */
async function measureClientRun(spec: ClientRunSpec, shape: ClientShape): Promise<ClientRun> {
  const client = createSentimentClient({
    baseUrl: spec.origin,
    issuer: spec.issuer.issuer,
    keyId: spec.issuer.kid,
    privateKey: spec.issuer.privateKeyPem,
    ca: spec.ca,
    maxBatchTexts: shape.maxBatchTexts,
    concurrency: shape.concurrency,
    // Throughput is measured here, not deadlines: a loaded machine must not end the run.
    timeoutMs: BENCH_TIMEOUT_MS,
  });
  const texts = Array.from(
    { length: CLIENT_TEXTS },
    (_, i) => spec.sampleTexts[i % spec.sampleTexts.length] as string,
  );
  const repeatFor = async (seconds: number) => {
    const callMs: number[] = [];
    const started = performance.now();
    do {
      const callStarted = performance.now();
      const results = await client.scoreMany(texts);
      if (results.length !== texts.length) throw new Error("scoreMany lost results");
      callMs.push(performance.now() - callStarted);
    } while (performance.now() - started < seconds * 1000);
    return { callMs, seconds: (performance.now() - started) / 1000 };
  };
  try {
    await repeatFor(spec.warmupSeconds);
    const cpuBefore = process.cpuUsage();
    const { callMs, seconds } = await repeatFor(spec.durationSeconds);
    const cpu = process.cpuUsage(cpuBefore);
    const texts = callMs.length * CLIENT_TEXTS;
    callMs.sort((a, b) => a - b);
    return {
      ...shape,
      calls: callMs.length,
      seconds,
      textsPerSecond: texts / seconds,
      p50CallMs: callMs[Math.floor((callMs.length - 1) / 2)] as number,
      clientCpuMsPerThousandTexts: (cpu.user + cpu.system) / texts,
    };
  } finally {
    client.close();
  }
}

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a";

/** The report's section for the client rows, with the goal against the batch row's texts/s. */
export function renderClientSection(measured: ClientRuns, batchTextsPerSecond: number): string {
  const runs = "runs" in measured ? measured.runs : [];
  const [defaults] = runs;
  const ratio = (defaults?.textsPerSecond ?? Number.NaN) / batchTextsPerSecond;
  const measuredCell =
    "failure" in measured
      ? `not measured: ${measured.failure}`
      : `${fixed(ratio, 2)} (${fixed(defaults?.textsPerSecond ?? Number.NaN, 0)} / ${fixed(batchTextsPerSecond, 0)})`;
  return [
    "## Client package (clients/typescript)",
    "",
    `\`scoreMany\` on ${CLIENT_TEXTS} texts (the sample texts, repeated) with \`@sentiment-api/client\`: a fresh RS256 token per request, keep-alive HTTPS, in the benchmark process against a fresh default server, called back to back after a warm-up (timeoutMs ${BENCH_TIMEOUT_MS}, the other options at their defaults). First at the client's defaults, then in the batch row's shape (64 texts a request, 8 in flight).`,
    "",
    "| measurement | texts per request | in flight | scoreMany calls | texts/s | p50 ms per call | client CPU ms per 1,000 texts |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...runs.map(
      (run) =>
        `| client scoreMany, ${CLIENT_TEXTS} texts | ${run.maxBatchTexts} | ${run.concurrency} | ${run.calls} | ${fixed(run.textsPerSecond, 0)} | ${fixed(run.p50CallMs, 0)} | ${fixed(run.clientCpuMsPerThousandTexts, 1)} |`,
    ),
    "",
    "| goal | measured | target | result |",
    "|---|---|---|---|",
    `| client scoreMany texts/s (defaults) / batch-of-64 texts/s | ${measuredCell} | >= ${CLIENT_GOAL_RATIO} | ${ratio >= CLIENT_GOAL_RATIO ? "PASS" : "FAIL"} |`,
    "",
  ].join("\n");
}
