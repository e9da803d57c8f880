/**
 * In-process model throughput: texts/s and p50 latency per batch at batch sizes 1, 8, 32, 128
 * for one or more model folders (preprocessing included), measured interleaved in one run (each
 * batch size is split into rounds, and every round times each model in turn, in a rotating
 * order), so load on a shared machine hits them alike. Prints texts/s at batch 32 of each model
 * and its ratio to the first. Then, unless --lstm-iterations 0, the notebook's architecture
 * (Embedding(20000, 300) -> LSTM(100) -> Dense(1, sigmoid), length 300, untrained weights,
 * network only), on the backend in use.
 *
 *   npm run bench:model -- [--model models/<old>] [--model models/<new>] ... [--backend auto|wasm|cpu]
 *                          [--seconds 2] [--rounds 4] [--lstm-iterations 3]
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { BackendChoice } from "../src/model/backend.js";
import { loadSentimentModel, type SentimentModel } from "../src/model/inference.js";
import { parseCsvRecords } from "../src/model/labelled-data.js";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", multiple: true },
    backend: { type: "string", default: "auto" },
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "4" },
    "lstm-iterations": { type: "string", default: "3" },
    texts: { type: "string", default: "../shared/data/sentiment140/test_manual_3class.csv" },
  },
  strict: true,
});

const BATCH_SIZES = [1, 8, 32, 128];

interface BenchResult {
  batch: number;
  iterations: number;
  tweetsPerSecond: number;
  p50Ms: number;
}

/** Call times of one model at one batch size, gathered over several rounds. */
class Timings {
  readonly times: number[] = [];
  constructor(readonly batch: number) {}

  result(): BenchResult {
    const total = this.times.reduce((a, b) => a + b, 0);
    const sorted = [...this.times].sort((a, b) => a - b);
    return {
      batch: this.batch,
      iterations: sorted.length,
      tweetsPerSecond: (this.batch * sorted.length) / (total / 1000),
      p50Ms: sorted[Math.floor(sorted.length / 2)] as number,
    };
  }
}

/** Runs `run` after one warm-up until `seconds` passed (at least `minIterations` times). */
async function measureInto(
  timings: Timings,
  run: () => Promise<unknown>,
  seconds: number,
  minIterations: number,
  maxIterations: number,
): Promise<void> {
  await run();
  const start = performance.now();
  let iterations = 0;
  while (
    iterations < minIterations ||
    (iterations < maxIterations && performance.now() - start < seconds * 1000)
  ) {
    const t0 = performance.now();
    await run();
    timings.times.push(performance.now() - t0);
    iterations++;
  }
}

async function measure(
  batch: number,
  run: () => Promise<unknown>,
  seconds: number,
  minIterations: number,
  maxIterations: number,
): Promise<BenchResult> {
  const timings = new Timings(batch);
  await measureInto(timings, run, seconds, minIterations, maxIterations);
  return timings.result();
}

async function sampleTexts(): Promise<string[]> {
  try {
    const records = parseCsvRecords(await readFile(args.texts ?? "", "utf8"), args.texts ?? "");
    const texts = records.map((r) => r.text ?? "").filter((t) => t.length > 0);
    if (texts.length > 0) return texts;
  } catch {
    // fall through to synthetic tweets
  }
  return Array.from({ length: 200 }, (_, i) => `tweet number ${i} is not bad at all, loving it :)`);
}

function table(title: string, rows: BenchResult[]): string {
  const lines = [
    title,
    "| batch | iterations | tweets/s | p50 latency (ms) |",
    "|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.batch} | ${r.iterations} | ${r.tweetsPerSecond.toFixed(1)} | ${r.p50Ms.toFixed(2)} |`,
    ),
  ];
  return lines.join("\n");
}

interface LoadedBench {
  dir: string;
  model: SentimentModel;
  loadMs: number;
  name: string;
  architecture: string;
  results: BenchResult[];
}

/** Times every model at every batch size, interleaved: rounds x models, rotating the order. */
async function benchModels(
  models: LoadedBench[],
  texts: string[],
  seconds: number,
  rounds: number,
) {
  const batchOf = (size: number, offset: number) =>
    Array.from({ length: size }, (_, i) => texts[(offset + i) % texts.length] as string);
  for (const size of BATCH_SIZES) {
    const timings = models.map(() => new Timings(size));
    const offsets = models.map(() => 0);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < models.length; k++) {
        const index = (round + k) % models.length;
        const { model } = models[index] as LoadedBench;
        await measureInto(
          timings[index] as Timings,
          () => {
            offsets[index] = (offsets[index] as number) + size;
            return model.predict(batchOf(size, offsets[index] as number));
          },
          seconds / rounds,
          Math.max(1, Math.ceil(5 / rounds)),
          100_000,
        );
      }
    }
    timings.forEach((t, index) => {
      (models[index] as LoadedBench).results.push(t.result());
    });
  }
}

async function main(): Promise<void> {
  const seconds = Number(args.seconds) || 2;
  const rounds = Math.max(1, Math.floor(Number(args.rounds) || 4));
  const dirs = args.model?.length ? args.model : ["models/sentiment-boe"];
  const models: LoadedBench[] = [];
  for (const dir of dirs) {
    const loadStart = performance.now();
    const model = await loadSentimentModel(dir, { backend: args.backend as BackendChoice });
    models.push({
      dir,
      model,
      loadMs: performance.now() - loadStart,
      name: `${model.metadata.name} ${model.metadata.version}`,
      architecture: `${model.metadata.architecture}${model.metadata.classes ? ", 3-class" : ", binary"}`,
      results: [],
    });
  }
  const texts = await sampleTexts();
  await benchModels(models, texts, seconds, rounds);
  for (const { model } of models) model.dispose();

  const at32 = (rows: BenchResult[]) => rows.find((r) => r.batch === 32)?.tweetsPerSecond ?? 0;
  const first = at32((models[0] as LoadedBench).results);
  const sections = [
    `backend: ${tf.getBackend()}; ${models.length} model(s) measured interleaved, ${rounds} rounds, ${seconds} s per batch size and model`,
    "",
  ];
  for (const m of models) {
    sections.push(
      `model ${m.dir}: load time (backend init + files + network) ${m.loadMs.toFixed(0)} ms`,
      table(`${m.name}: ${m.architecture} (texts in, preprocessing included)`, m.results),
      "",
    );
  }
  sections.push(
    "texts/s at batch 32 (ratio to the first model):",
    ...models.map(
      (m) =>
        `  ${m.dir}: ${at32(m.results).toFixed(1)} texts/s, ${(at32(m.results) / Math.max(1e-9, first)).toFixed(2)}x`,
    ),
    "",
  );
  process.stdout.write(sections.join("\n"));

  const lstmIterations = Math.max(0, Math.floor(Number(args["lstm-iterations"] ?? 3)));
  if (lstmIterations === 0) return;
  // The notebook's network; untrained weights are fine for timing.
  const vocab = 20_000;
  const length = 300;
  const lstm = tfl.sequential();
  lstm.add(tfl.layers.embedding({ inputDim: vocab, outputDim: 300, inputLength: length }));
  lstm.add(tfl.layers.dropout({ rate: 0.5 }));
  // Glorot instead of the default orthogonal recurrent initializer, which fails on WASM
  // (and only the timing matters here). recurrentActivation as in Keras.
  lstm.add(
    tfl.layers.lstm({
      units: 100,
      dropout: 0.2,
      recurrentDropout: 0.2,
      recurrentInitializer: "glorotUniform",
      recurrentActivation: "sigmoid",
    }),
  );
  lstm.add(tfl.layers.dense({ units: 1, activation: "sigmoid" }));
  const lstmResults: BenchResult[] = [];
  for (const size of BATCH_SIZES) {
    const ids = tf.tidy(() => tf.randomUniform([size, length], 1, vocab, "int32"));
    lstmResults.push(
      await measure(
        size,
        async () => {
          const out = lstm.predict(ids) as tf.Tensor;
          try {
            await out.data();
          } finally {
            out.dispose();
          }
        },
        0,
        lstmIterations,
        lstmIterations,
      ),
    );
    ids.dispose();
  }
  lstm.dispose();

  const ratio = first / Math.max(1e-9, at32(lstmResults));
  process.stdout.write(
    [
      "",
      table(
        "notebook architecture: Embedding(20000, 300) -> LSTM(100) -> Dense(1, sigmoid), length 300, untrained (ids in, network only)",
        lstmResults,
      ),
      "",
      `throughput ratio of the first model to the notebook architecture at batch 32: ${ratio.toFixed(0)}x`,
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:model failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
