import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSentimentModel } from "../../src/model/inference.js";
import { ModelMetadataSchema } from "../../src/model/metadata.js";
import { syntheticRows, toCsv } from "../model/synthetic-sentiment.js";

const run = promisify(execFile);

/** Runs scripts/train.ts on a small CSV; the full training never runs in CI. */
async function train(args: string[]): Promise<{ stderr: string }> {
  return await run(process.execPath, ["--import", "tsx", "scripts/train.ts", ...args], {
    cwd: process.cwd(),
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** Arguments for a quick, quiet two-epoch run on `data`, plus `extra` (e.g. --dim). */
function quickTrainArgs(data: string, out: string, extra: string[]): string[] {
  return [
    "--data",
    data,
    "--out",
    out,
    "--epochs",
    "2",
    ...extra,
    "--min-count",
    "1",
    "--sequence-length",
    "16",
    "--eval",
    "none",
    "--quiet",
  ];
}

async function readMetadata(modelDir: string) {
  return ModelMetadataSchema.parse(
    JSON.parse(await readFile(join(modelDir, "metadata.json"), "utf8")),
  );
}

describe("npm run train (smoke test on a few hundred rows)", () => {
  let dir: string;
  let stderr: string;
  let outDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "train-"));
    const data = join(dir, "tiny.csv");
    await writeFile(data, toCsv(syntheticRows(400, 5)));
    outDir = join(dir, "tiny-model");
    ({ stderr } = await train([
      "--data",
      data,
      "--out",
      outDir,
      "--epochs",
      "8",
      "--dim",
      "8",
      "--lr",
      "0.02",
      "--min-count",
      "1",
      "--sequence-length",
      "16",
      "--eval",
      "none",
    ]));
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a model directory whose metadata validates", async () => {
    const metadata = await readMetadata(outDir);
    expect(metadata.name).toBe("tiny-model");
    expect(metadata.data[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(metadata.preprocessing.sequenceLength).toBe(16);
  });

  it("learns: validation loss drops and validation accuracy is far above chance", async () => {
    const metadata = await readMetadata(outDir);
    const history = metadata.training.history ?? [];
    const best = history.find((h) => h.epoch === metadata.training.bestEpoch);
    expect(best?.validationLoss).toBeLessThan(history[0]?.validationLoss ?? 0);
    expect(metadata.metrics.validation?.accuracy).toBeGreaterThan(0.85);
  });

  it("shows progress with loss, accuracy and ETA on stderr", () => {
    expect(stderr).toMatch(/epoch 1\/8 \[[#.]+\]\s+\d+% loss \d\.\d+ acc \d\.\d+ ETA \d+s/);
  });

  it("checks that the saved TensorFlow.js model reproduces the training loop", () => {
    expect(stderr).toMatch(/vs training loop: max \|difference\|/);
  });

  it("produces a model the inference module loads and that separates the classes", async () => {
    const model = await loadSentimentModel(outDir, { backend: "wasm" });
    try {
      const [good, bad] = await model.predict(["great fun today", "awful worst day"]);
      expect(good?.score).toBeGreaterThan(0.5);
      expect(bad?.score).toBeLessThan(0.5);
    } finally {
      model.dispose();
    }
  });

  it("is reproducible: the same seed writes identical weights", async () => {
    const again = join(dir, "again");
    const data = join(dir, "tiny.csv");
    await train(quickTrainArgs(data, again, ["--dim", "8"]));
    const first = join(dir, "first");
    await train(quickTrainArgs(data, first, ["--dim", "8"]));
    const [a, b] = await Promise.all([
      readFile(join(again, "weights.bin")),
      readFile(join(first, "weights.bin")),
    ]);
    expect(a.equals(b)).toBe(true);
  }, 120_000);

  it("merges an --ensemble into one network, its output layer folded into the embedding", async () => {
    const out = join(dir, "ensemble");
    const data = join(dir, "tiny.csv");
    await train(quickTrainArgs(data, out, ["--dim", "4", "--ensemble", "2"]));
    const metadata = await readMetadata(out);
    // Two members of dim 4 side by side (8), written as one number per vocabulary row.
    expect(metadata.architecture).toMatch(/^Embedding\(\d+, 1\) .* trained as Embedding\(\d+, 8\)/);
    const weights = await stat(join(out, "weights.bin"));
    // vocabulary x 1 embedding + output kernel (1) and bias (1), float32
    expect(weights.size).toBe((metadata.vocabularySize + 2) * 4);
    expect(metadata.hyperParameters.ensemble).toBe(2);
    const model = await loadSentimentModel(out, { backend: "wasm" });
    try {
      const [good, bad] = await model.predict(["great fun today", "awful worst day"]);
      expect(good?.score).toBeGreaterThan(bad?.score ?? 1);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it("trains a character n-gram bag beside the words and serves both from one network", async () => {
    const metadata = await readMetadata(outDir);
    expect(metadata.preprocessing.charSegment).toEqual({ minN: 2, maxN: 5, sequenceLength: 512 });
    expect(metadata.hyperParameters.charWeight).toBe(0.3);
    const vocab = JSON.parse(await readFile(join(outDir, "vocab.json"), "utf8"));
    expect(vocab.charFeatures).toContain("grea");
    expect(metadata.vocabularySize).toBe(1 + vocab.features.length + vocab.charFeatures.length);
    const modelJson = JSON.parse(await readFile(join(outDir, "model.json"), "utf8"));
    // One input row: 16 word ids, then 512 character n-gram ids.
    expect(JSON.stringify(modelJson.modelTopology)).toContain('"batch_input_shape":[null,528]');
  });

  it("trains words only with --char-segment none", async () => {
    const out = join(dir, "words-only");
    await train(quickTrainArgs(join(dir, "tiny.csv"), out, ["--char-segment", "none"]));
    const metadata = await readMetadata(out);
    const vocab = JSON.parse(await readFile(join(out, "vocab.json"), "utf8"));
    expect([metadata.preprocessing.charSegment, vocab.charFeatures]).toEqual([null, undefined]);
    expect(metadata.vocabularySize).toBe(1 + vocab.features.length);
  }, 120_000);

  it("fails with a non-zero exit code on a missing data file", async () => {
    await expect(
      train(["--data", join(dir, "nope.csv"), "--out", join(dir, "x")]),
    ).rejects.toMatchObject({
      code: 1,
    });
  });
});
