/**
 * In-process model throughput: tweets/s and p50 latency per batch at batch sizes 1, 8, 32, 128
 * for the shipped model (preprocessing included) and for the notebook's architecture
 * (Embedding(20000, 300) -> LSTM(100) -> Dense(1, sigmoid), length 300, untrained weights,
 * network only), on the backend in use.
 *
 *   npm run bench:model -- [--model models/<name>] [--backend auto|wasm|cpu] [--seconds 2]
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { BackendChoice } from "../src/model/backend.js";
import { loadSentimentModel } from "../src/model/inference.js";
import { parseCsvRecords } from "../src/model/labelled-data.js";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "models/sentiment-boe" },
    backend: { type: "string", default: "auto" },
    seconds: { type: "string", default: "2" },
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

/** Runs `run` after one warm-up until `seconds` passed (at least `minIterations` times). */
async function measure(
  batch: number,
  run: () => Promise<unknown>,
  seconds: number,
  minIterations: number,
  maxIterations: number,
): Promise<BenchResult> {
  await run();
  const times: number[] = [];
  const start = performance.now();
  while (
    times.length < minIterations ||
    (times.length < maxIterations && performance.now() - start < seconds * 1000)
  ) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  const total = times.reduce((a, b) => a + b, 0);
  times.sort((a, b) => a - b);
  return {
    batch,
    iterations: times.length,
    tweetsPerSecond: (batch * times.length) / (total / 1000),
    p50Ms: times[Math.floor(times.length / 2)] as number,
  };
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

async function main(): Promise<void> {
  const seconds = Number(args.seconds) || 2;
  const loadStart = performance.now();
  const model = await loadSentimentModel(args.model ?? "models/sentiment-boe", {
    backend: args.backend as BackendChoice,
  });
  const loadMs = performance.now() - loadStart;
  const texts = await sampleTexts();
  const batchOf = (size: number, offset: number) =>
    Array.from({ length: size }, (_, i) => texts[(offset + i) % texts.length] as string);

  const shipped: BenchResult[] = [];
  for (const size of BATCH_SIZES) {
    let offset = 0;
    shipped.push(
      await measure(
        size,
        () => {
          offset += size;
          return model.predict(batchOf(size, offset));
        },
        seconds,
        5,
        100_000,
      ),
    );
  }
  const name = `${model.metadata.name} ${model.metadata.version}`;
  const architecture = model.metadata.architecture;
  model.dispose();

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
  const lstmIterations = Math.max(1, Number(args["lstm-iterations"]) || 3);
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

  const at32 = (rows: BenchResult[]) => rows.find((r) => r.batch === 32)?.tweetsPerSecond ?? 0;
  const ratio = at32(shipped) / Math.max(1e-9, at32(lstmResults));
  process.stdout.write(
    [
      `backend: ${tf.getBackend()}`,
      `shipped model load time (backend init + files + network): ${loadMs.toFixed(0)} ms`,
      "",
      table(`shipped model ${name}: ${architecture} (texts in, preprocessing included)`, shipped),
      "",
      table(
        "notebook architecture: Embedding(20000, 300) -> LSTM(100) -> Dense(1, sigmoid), length 300, untrained (ids in, network only)",
        lstmResults,
      ),
      "",
      `throughput ratio at batch 32: ${ratio.toFixed(0)}x`,
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
