import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactBagNetwork } from "../../src/model/compact-bag-network.js";
import {
  InvalidInputError,
  loadSentimentModel,
  ModelLoadError,
  type SentimentModel,
} from "../../src/model/inference.js";
import { readModelDirectory } from "../../src/model/model-directory.js";
import {
  charSegmentFeatures,
  featuresOfTokens,
  inputLength,
  tokenize,
} from "../../src/model/preprocess.js";
import { deserializeNetwork } from "../../src/model/tfjs-network.js";
import { encodeFeatures, encodeTexts } from "../../src/model/vocabulary.js";

/** The model shipped in the repository. */
const SHIPPED_MODEL_DIR = "models/sentiment-boe";
/** The 1.0.0 binary model, kept so MODEL_DIR can bring it back: the legacy-folder path. */
const LEGACY_BINARY_MODEL_DIR = "models/sentiment-boe-binary";

const STRANGE_TEXTS = [
  "",
  "   ",
  "\u0000\u0000",
  "\ud800 lone surrogate \udfff",
  "😀😀😀 👍🏽",
  "مرحبا بالعالم",
  "e\u0301\u0301\u0301 combining",
  "@only_a_mention http://only.a/url",
  "&amp;&lt;&gt;&#0;&#x110000;",
  "x".repeat(10_000),
];

describe("loadSentimentModel (shipped model)", () => {
  let model: SentimentModel;

  beforeAll(async () => {
    model = await loadSentimentModel(SHIPPED_MODEL_DIR, { backend: "wasm" });
  });
  afterAll(() => model.dispose());

  it("reports the backend it runs on", () => {
    expect(model.backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("exposes validated metadata with thresholds and metrics", () => {
    expect(model.metadata.thresholds.negativeBelow).toBeLessThanOrEqual(
      model.metadata.thresholds.positiveAbove,
    );
    expect(model.metadata.metrics.validation?.n).toBeGreaterThan(0);
  });

  it("returns one prediction per text, in order, with scores in [0, 1]", async () => {
    const texts = ["I love this so much, best day ever", "this is awful, I hate it", "ok"];
    const predictions = await model.predict(texts);
    expect(predictions).toHaveLength(3);
    for (const p of predictions) {
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(1);
    }
    const [love, hate] = predictions;
    expect(love?.score).toBeGreaterThan(hate?.score ?? 1);
  });

  it("is the three-way model: classes, the model rule, probabilities that sum to 1", async () => {
    expect(model.metadata.classes).toEqual(["NEGATIVE", "NEUTRAL", "POSITIVE"]);
    expect(model.labelRule).toBe("model");
    for (const p of await model.predict(["I love it", "I hate it", "the", ...STRANGE_TEXTS])) {
      const { negative, neutral, positive } = p.probabilities;
      expect(Math.abs(negative + neutral + positive - 1)).toBeLessThan(1e-6);
      expect(p.score).toBeCloseTo(positive / (positive + negative), 6);
    }
  });

  it("scores texts in a batch exactly as one at a time", async () => {
    const texts = ["good morning", "not good", "worst service ever", "thanks :)"];
    const batch = await model.predict(texts);
    for (const [i, text] of texts.entries()) {
      const [single] = await model.predict([text]);
      expect(single?.score).toBeCloseTo(batch[i]?.score ?? -1, 6);
    }
  });

  it("scores any Unicode, empty and word-less text without throwing", async () => {
    const predictions = await model.predict(STRANGE_TEXTS);
    expect(predictions).toHaveLength(STRANGE_TEXTS.length);
    for (const p of predictions) expect(Number.isFinite(p.score)).toBe(true);
  });

  it("gives every text with no known word the same score", async () => {
    const [a, b] = await model.predict(["", "\u0000 @x http://y.z"]);
    expect(a?.score).toBe(b?.score);
  });

  it("returns an empty array for no texts", async () => {
    expect(await model.predict([])).toEqual([]);
  });

  it("rejects non-string input with a typed error", async () => {
    const bad = [42] as unknown as string[];
    await expect(model.predict(bad)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(model.predict(bad)).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("does not leak tensors across predictions", async () => {
    await model.predict(["warm up"]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await model.predict(["one", "two words", ...STRANGE_TEXTS]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("loadSentimentModel (binary legacy folder)", () => {
  let model: SentimentModel;

  beforeAll(async () => {
    model = await loadSentimentModel(LEGACY_BINARY_MODEL_DIR, { backend: "wasm" });
  });
  afterAll(() => model.dispose());

  it("is a binary (legacy) folder: no classes, the thresholds rule even when the model rule is asked", async () => {
    expect(model.metadata.classes).toBeUndefined();
    expect(model.labelRule).toBe("thresholds");
    const asked = await loadSentimentModel(LEGACY_BINARY_MODEL_DIR, {
      backend: "wasm",
      labelRule: "model",
    });
    try {
      expect(asked.labelRule).toBe("thresholds");
    } finally {
      asked.dispose();
    }
  });

  it("gives probabilities that say what a binary score says: negative 1 - score, neutral 0", async () => {
    for (const p of await model.predict(["I love it", "I hate it", "the", ...STRANGE_TEXTS])) {
      expect(p.probabilities).toEqual({ negative: 1 - p.score, neutral: 0, positive: p.score });
      const { negative, neutral, positive } = p.probabilities;
      expect(Math.abs(negative + neutral + positive - 1)).toBeLessThan(1e-12);
    }
  });

  it("labels scores with the metadata thresholds", async () => {
    const { negativeBelow, positiveAbove } = model.metadata.thresholds;
    const predictions = await model.predict(["great great great", "terrible sad", "the", "meh"]);
    for (const p of predictions) {
      const expected =
        p.score < negativeBelow ? "NEGATIVE" : p.score > positiveAbove ? "POSITIVE" : "NEUTRAL";
      expect(p.label).toBe(expected);
    }
  });
});

describe("loadSentimentModel options and errors", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "model-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses thresholds given in the options instead of the metadata", async () => {
    const model = await loadSentimentModel(LEGACY_BINARY_MODEL_DIR, {
      backend: "wasm",
      thresholds: { negativeBelow: 0, positiveAbove: 1 },
    });
    try {
      const predictions = await model.predict(["love it", "hate it"]);
      expect(predictions.map((p) => p.label)).toEqual(["NEUTRAL", "NEUTRAL"]);
    } finally {
      model.dispose();
    }
  });

  it("rejects inverted thresholds", async () => {
    await expect(
      loadSentimentModel(SHIPPED_MODEL_DIR, {
        thresholds: { negativeBelow: 0.8, positiveAbove: 0.2 },
      }),
    ).rejects.toThrow();
  });

  it("fails with model_files_missing for a directory without model files", async () => {
    await expect(loadSentimentModel(dir)).rejects.toMatchObject({ code: "model_files_missing" });
  });

  it("fails with model_files_invalid for corrupt metadata", async () => {
    const copy = join(dir, "corrupt");
    await cp(SHIPPED_MODEL_DIR, copy, { recursive: true });
    await writeFile(join(copy, "metadata.json"), '{"name": 3}');
    const error = await loadSentimentModel(copy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).code).toBe("model_files_invalid");
  });

  it("fails with model_files_invalid when vocab.json does not match the network", async () => {
    const copy = join(dir, "short-vocab");
    await cp(SHIPPED_MODEL_DIR, copy, { recursive: true });
    const vocab = JSON.parse(await readFile(join(copy, "vocab.json"), "utf8")) as {
      features: string[];
    };
    await writeFile(
      join(copy, "vocab.json"),
      JSON.stringify({ features: vocab.features.slice(1) }),
    );
    await expect(loadSentimentModel(copy)).rejects.toMatchObject({ code: "model_files_invalid" });
  });

  it("refuses to predict after dispose", async () => {
    const model = await loadSentimentModel(SHIPPED_MODEL_DIR, { backend: "wasm" });
    model.dispose();
    await expect(model.predict(["x"])).rejects.toMatchObject({ code: "model_disposed" });
  });
});

describe("the compact bag path", () => {
  it.each([SHIPPED_MODEL_DIR, LEGACY_BINARY_MODEL_DIR])(
    "scores %s's texts as its TF.js network scores features looked up one by one",
    async (dir) => {
      const texts = [
        "I love this so much",
        "worst day ever, so sad",
        "not bad at all",
        ...STRANGE_TEXTS,
      ];
      const model = await loadSentimentModel(dir, { backend: "wasm" });
      const files = await readModelDirectory(dir);
      const network = await deserializeNetwork(files.network.modelJson, files.network.weightsBin);
      try {
        const settings = files.metadata.preprocessing;
        const segment = settings.charSegment;
        if (segment === null) throw new Error("the shipped model has a character segment");
        // The reference: every feature and n-gram looked up by its string.
        const vocabulary = files.vocabulary;
        const segmentIds = texts.map((text) => {
          const tokens = tokenize(text, settings);
          const words = new Int32Array(settings.sequenceLength);
          const grams = new Int32Array(segment.sequenceLength);
          const known = (
            features: string[],
            idOf: (f: string) => number | undefined,
            out: Int32Array,
          ) => {
            const ids = features.map(idOf).filter((id) => id !== undefined);
            return ids.slice(0, out.length);
          };
          return [
            known(featuresOfTokens(tokens, settings), (f) => vocabulary.idOf(f), words),
            known(charSegmentFeatures(tokens, segment), (g) => vocabulary.charIdOf(g), grams),
          ];
        });
        let expected: Float32Array;
        if (settings.weighting === "tfidf") {
          // Per segment: (1 + ln count) x idf, L2-normalised; run by the network's TF.js layers.
          const idf = vocabulary.idf as Float64Array;
          const offsets = [0];
          const ids: number[] = [];
          const shares: number[] = [];
          for (const segments of segmentIds) {
            for (const known of segments) {
              const counts = new Map<number, number>();
              for (const id of known) counts.set(id, (counts.get(id) ?? 0) + 1);
              const values = [...counts].map(([id, n]) => (1 + Math.log(n)) * (idf[id] as number));
              const norm = Math.hypot(...values);
              [...counts.keys()].forEach((id, k) => {
                ids.push(id);
                shares.push((values[k] as number) / norm);
              });
            }
            offsets.push(ids.length);
          }
          const tfjs = compactBagNetwork(network, { typedArrayHead: false });
          expected = tf.tidy(
            () =>
              tfjs
                ?.predict({
                  offsets: Uint32Array.from(offsets),
                  ids: Int32Array.from(ids),
                  shares: Float32Array.from(shares),
                })
                .dataSync() as Float32Array,
          );
        } else {
          // The layers network on full rows, each segment padded as configured.
          const length = inputLength(settings);
          const rows = new Int32Array(texts.length * length);
          for (const [i, [words, grams]] of segmentIds.entries()) {
            const row = rows.subarray(i * length, (i + 1) * length);
            const asFeatures = (ids: number[]) => ids.map(String);
            const byString = (f: string) => Number(f);
            encodeFeatures(
              asFeatures(words ?? []),
              byString,
              settings.padding,
              row.subarray(0, settings.sequenceLength),
            );
            encodeFeatures(
              asFeatures(grams ?? []),
              byString,
              settings.padding,
              row.subarray(settings.sequenceLength),
            );
          }
          expect([...encodeTexts(texts, vocabulary, settings)]).toEqual([...rows]);
          expected = tf.tidy(
            () =>
              (
                network.predictOnBatch(
                  tf.tensor2d(rows, [texts.length, length], "int32"),
                ) as tf.Tensor
              ).dataSync() as Float32Array,
          );
        }
        const scores = (await model.predict(texts)).map((p) => p.score);
        // A three-way network answers [negative, neutral, positive]; the score is p_pos / (p_pos + p_neg).
        const width = expected.length / texts.length;
        for (const [i, score] of scores.entries()) {
          const row = expected.subarray(i * width, (i + 1) * width);
          const want =
            width === 1 ? row[0] : (row[2] as number) / ((row[0] as number) + (row[2] as number));
          expect(Math.abs(score - (want as number))).toBeLessThan(1e-5);
        }
      } finally {
        network.dispose();
        model.dispose();
      }
    },
  );
});

describe("backends", () => {
  it("gives the same scores on WASM and CPU within 1e-4", async () => {
    const texts = [
      "I love this so much",
      "worst day ever, so sad",
      "not bad at all",
      "meeting at 10:30 tomorrow",
      ...STRANGE_TEXTS,
    ];
    const wasm = await loadSentimentModel(SHIPPED_MODEL_DIR, { backend: "wasm" });
    const wasmScores = (await wasm.predict(texts)).map((p) => p.score);
    wasm.dispose();
    const cpu = await loadSentimentModel(SHIPPED_MODEL_DIR, { backend: "cpu" });
    const cpuScores = (await cpu.predict(texts)).map((p) => p.score);
    cpu.dispose();
    expect(cpu.backend).toBe("cpu");
    for (const [i, s] of wasmScores.entries()) {
      expect(Math.abs(s - (cpuScores[i] as number))).toBeLessThan(1e-4);
    }
  });
});
