import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/model/backend.js";
import { compactBagNetwork } from "../../src/model/compact-bag-network.js";
import { loadSentimentModel } from "../../src/model/inference.js";
import { ModelMetadataSchema } from "../../src/model/metadata.js";
import { deserializeNetwork } from "../../src/model/tfjs-network.js";
import { encodeCompact, Vocabulary } from "../../src/model/vocabulary.js";
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
    "--task",
    "binary",
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

describe("npm run train --task binary (smoke test on a few hundred rows)", () => {
  let dir: string;
  let stderr: string;
  let outDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "train-"));
    const data = join(dir, "tiny.csv");
    await writeFile(data, toCsv(syntheticRows(400, 5)));
    outDir = join(dir, "tiny-model");
    ({ stderr } = await train([
      "--task",
      "binary",
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

  it("validates on a --validation file instead of a hold-out, and records it", async () => {
    const validation = join(dir, "validation.csv");
    await writeFile(validation, toCsv(syntheticRows(60, 9)));
    const out = join(dir, "with-validation");
    await train(quickTrainArgs(join(dir, "tiny.csv"), out, ["--validation", validation]));
    const metadata = await readMetadata(out);
    expect(metadata.training.validationRows).toBe(60);
    expect(metadata.data.filter((f) => f.role === "validation").map((f) => f.path)).toEqual([
      validation,
    ]);
  }, 120_000);

  it("fails with a non-zero exit code on a missing data file", async () => {
    await expect(
      train(["--data", join(dir, "nope.csv"), "--out", join(dir, "x")]),
    ).rejects.toMatchObject({
      code: 1,
    });
  });
});

/** Synthetic 3-class rows: the binary rows' sentiment words, and neutral rows of filler only. */
function threeClassCsv(): string {
  const polar = syntheticRows(400, 5).map((r) => ({
    label: r.label === 1 ? "positive" : "negative",
    text: r.text,
  }));
  const neutral = syntheticRows(200, 6).map((r) => ({
    label: "neutral",
    text: r.text
      .split(" ")
      .filter(
        (w) =>
          !/love|great|happy|awesome|thanks|fun|nice|best|hate|awful|sad|terrible|sick|worst|bored|tired/.test(
            w,
          ),
      )
      .join(" "),
  }));
  return toCsv([...polar, ...neutral]);
}

describe("npm run train (the three-way model, on a few hundred rows)", () => {
  let dir: string;
  let stderr: string;
  const args = (data: string, out: string) => [
    "--data",
    data,
    "--out",
    out,
    "--epochs",
    "6",
    "--lr",
    "0.1",
    "--batch-size",
    "16",
    "--min-count",
    "1",
    "--eval",
    "none",
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "train3-"));
    await writeFile(join(dir, "tiny3.csv"), threeClassCsv());
    ({ stderr } = await train(args(join(dir, "tiny3.csv"), join(dir, "first"))));
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes version 2.1.0 with classes, 3-class and binary validation reports", async () => {
    const metadata = await readMetadata(join(dir, "first"));
    expect(metadata.version).toBe("2.1.0");
    expect(metadata.classes).toEqual(["NEGATIVE", "NEUTRAL", "POSITIVE"]);
    expect(metadata.hyperParameters.task).toBe("3class");
    const report = metadata.metrics.validation_3class;
    expect(report?.task).toBe("3class");
    expect(report?.accuracy).toBeGreaterThan(0.85);
    expect(report?.classes.NEUTRAL?.recall).toBeGreaterThan(0.7);
    expect(stderr).toMatch(/vs training loop: max \|difference\|/);
  });

  it("weighs features by TF-IDF and stores one idf per vocabulary row in vocab.json", async () => {
    const out = join(dir, "first");
    const metadata = await readMetadata(out);
    expect(metadata.preprocessing.weighting).toBe("tfidf");
    const vocab = JSON.parse(await readFile(join(out, "vocab.json"), "utf8"));
    expect(vocab.idf).toHaveLength(metadata.vocabularySize - 1);
    for (const value of vocab.idf) expect(value).toBeGreaterThanOrEqual(1);
  });

  it("saves Embedding(V, 3) -> pooling -> Dense(3, softmax) that TF.js runs on TF-IDF weights as the service does", async () => {
    const out = join(dir, "first");
    const metadata = await readMetadata(out);
    const modelJson = JSON.parse(await readFile(join(out, "model.json"), "utf8"));
    const topology = JSON.stringify(modelJson.modelTopology);
    expect(topology).toContain('"units":3,"activation":"softmax"');
    await selectBackend("wasm");
    const network = await deserializeNetwork(modelJson, await readFile(join(out, "weights.bin")));
    const vocabulary = Vocabulary.fromFile(
      JSON.parse(await readFile(join(out, "vocab.json"), "utf8")),
    );
    const texts = ["great fun today", "awful worst day", "the movie today", ""];
    const sequences = encodeCompact(texts, vocabulary, metadata.preprocessing);
    const tfjs = compactBagNetwork(network, { typedArrayHead: false });
    const p = tf.tidy(() => tfjs?.predict(sequences).arraySync()) as number[][];
    network.dispose();
    for (const row of p) expect((row[0] ?? 0) + (row[1] ?? 0) + (row[2] ?? 0)).toBeCloseTo(1, 5);
    const argmax = p.map((row) => row.indexOf(Math.max(...row)));
    expect(argmax.slice(0, 3)).toEqual([2, 0, 1]);
    const model = await loadSentimentModel(out, { backend: "wasm" });
    try {
      const served = await model.predict(texts);
      served.forEach((prediction, i) => {
        const [negative, neutral, positive] = p[i] as number[];
        expect(prediction.probabilities.negative).toBeCloseTo(negative as number, 6);
        expect(prediction.probabilities.neutral).toBeCloseTo(neutral as number, 6);
        expect(prediction.probabilities.positive).toBeCloseTo(positive as number, 6);
      });
    } finally {
      model.dispose();
    }
  });

  it("still trains the averaging model with --weighting average", async () => {
    const out = join(dir, "average");
    await train([...args(join(dir, "tiny3.csv"), out), "--weighting", "average"]);
    const metadata = await readMetadata(out);
    expect(metadata.preprocessing.weighting).toBe("average");
    expect(metadata.metrics.validation_3class?.accuracy).toBeGreaterThan(0.85);
    const vocab = JSON.parse(await readFile(join(out, "vocab.json"), "utf8"));
    expect(vocab.idf).toBeUndefined();
  }, 120_000);

  it("validates on a --validation file instead of a hold-out, and records it", async () => {
    const validation = join(dir, "validation3.csv");
    await writeFile(validation, threeClassCsv());
    const out = join(dir, "with-validation");
    await train([...args(join(dir, "tiny3.csv"), out), "--validation", validation]);
    const metadata = await readMetadata(out);
    const rows = threeClassCsv().trim().split("\n").length - 1;
    expect(metadata.training.validationRows).toBe(rows);
    expect(metadata.data.filter((f) => f.role === "validation").map((f) => f.path)).toEqual([
      validation,
    ]);
  }, 120_000);

  it("is reproducible: the same seed writes byte-identical weights", async () => {
    await train(args(join(dir, "tiny3.csv"), join(dir, "second")));
    const [a, b] = await Promise.all([
      readFile(join(dir, "first", "weights.bin")),
      readFile(join(dir, "second", "weights.bin")),
    ]);
    expect(a.equals(b)).toBe(true);
  }, 120_000);
});
