import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/model/bag-of-embeddings.js";
import {
  loadSentimentModel,
  ModelLoadError,
  type Prediction,
  type SentimentModel,
} from "../../src/model/inference.js";
import { readLabelledCsv } from "../../src/model/labelled-data.js";
import { labelForScore } from "../../src/model/labels.js";
import { DEFAULT_THRESHOLDS } from "../../src/model/metadata.js";
import {
  FIXTURE_NEGATIVE_WORDS,
  FIXTURE_POSITIVE_WORDS,
  type ThreeClassFixtureOptions,
  writeThreeClassModel,
} from "./three-class-fixture.js";

/** The shared data directory (training files), when this checkout has one beside it. */
const DATA_DIR = resolve(
  process.env.SENTIMENT_DATA_DIR ?? resolve(import.meta.dirname, "../../../shared/data"),
);

/** The 3-class folders shipped under models/ (the trained model, once it lands). */
const SHIPPED_THREE_CLASS_DIRS = (() => {
  const models = resolve(import.meta.dirname, "../../models");
  if (!existsSync(models)) return [];
  return readdirSync(models, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(models, entry.name))
    .filter((dir) => {
      try {
        return JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8")).classes !== undefined;
      } catch {
        return false;
      }
    });
})();

/** Texts with no tokens, only emoji, only URLs, or thousands of characters. */
const BAD_TEXTS = [
  "",
  "   ",
  "?!?!....",
  "😀😀😀 👍🏽 🔥",
  "http://example.com https://t.co/abc www.example.org/x",
  "@someone @other",
  "\u0000\ud800\udfff",
  "love ".repeat(2000),
  "the worst ".repeat(1000),
  "x".repeat(10_000),
  "مرحبا بالعالم",
];

let root: string;
let model: SentimentModel;

function expectValidThreeWay(p: Prediction | undefined): void {
  expect(p).toBeDefined();
  const { negative, neutral, positive } = p?.probabilities ?? {
    negative: Number.NaN,
    neutral: Number.NaN,
    positive: Number.NaN,
  };
  for (const v of [negative, neutral, positive, p?.score]) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
  expect(Math.abs(negative + neutral + positive - 1)).toBeLessThan(1e-6);
  expect(["NEGATIVE", "NEUTRAL", "POSITIVE"]).toContain(p?.label);
}

/** Seeded texts mixing the fixture's sentiment words, filler and noise. */
function generatedTexts(n: number): string[] {
  const random = mulberry32(99);
  const pool = [
    ...FIXTURE_POSITIVE_WORDS,
    ...FIXTURE_NEGATIVE_WORDS,
    "the",
    "train",
    "leaves",
    "at",
    "9",
    "meeting",
    "phone",
    "so",
    "it",
    "not",
    "lol",
    ":)",
    ":(",
    "!!",
    "🙂",
    "http://t.co/x",
  ];
  return Array.from({ length: n }, () => {
    const words = Array.from(
      { length: 1 + Math.floor(random() * 10) },
      () => pool[Math.floor(random() * pool.length)] as string,
    );
    return words.join(" ");
  });
}

/** Thousands of texts: generated ones, and SemEval training tweets when the data is here. */
async function consistencyTexts(): Promise<string[]> {
  const texts = generatedTexts(4000);
  const training = join(DATA_DIR, "semeval2017_task4a/train2013_2016_3class.csv");
  if (existsSync(training)) {
    texts.push(...(await readLabelledCsv(training)).rows.slice(0, 6000).map((r) => r.text));
  }
  return texts;
}

/** Checks label/score consistency and probability sums; returns how often each label came. */
async function checkConsistency(checked: SentimentModel): Promise<Record<string, number>> {
  const texts = await consistencyTexts();
  const counts = { NEGATIVE: 0, NEUTRAL: 0, POSITIVE: 0 };
  for (let i = 0; i < texts.length; i += 512) {
    for (const p of await checked.predict(texts.slice(i, i + 512))) {
      counts[p.label]++;
      const { negative, neutral, positive } = p.probabilities;
      expect(Math.abs(negative + neutral + positive - 1)).toBeLessThan(1e-6);
      if (p.label === "POSITIVE") expect(p.score).toBeGreaterThan(0.5);
      if (p.label === "NEGATIVE") expect(p.score).toBeLessThan(0.5);
    }
  }
  return counts;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "three-class-"));
  await writeThreeClassModel(join(root, "model"));
  model = await loadSentimentModel(join(root, "model"), { backend: "wasm" });
}, 120_000);
afterAll(async () => {
  model?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe("a 3-class model folder", () => {
  it("labels with the model rule by default and exposes its classes", () => {
    expect(model.labelRule).toBe("model");
    expect(model.metadata.classes).toEqual(["NEGATIVE", "NEUTRAL", "POSITIVE"]);
  });

  it("answers the most probable class, the score p_pos / (p_pos + p_neg) and probabilities", async () => {
    const [love, hate, train] = await model.predict([
      "I love this, best day",
      "I hate this, awful",
      "the train leaves at 9",
    ]);
    expect(love?.label).toBe("POSITIVE");
    expect(hate?.label).toBe("NEGATIVE");
    expect(train?.label).toBe("NEUTRAL");
    for (const p of [love, hate, train]) {
      expectValidThreeWay(p);
      const { negative, positive } = p?.probabilities ?? { negative: 0, positive: 0 };
      expect(p?.score).toBeCloseTo(positive / (positive + negative), 12);
    }
    expect(love?.probabilities.positive).toBeGreaterThan(0.5);
    expect(hate?.probabilities.negative).toBeGreaterThan(0.5);
  });

  it("never contradicts label and score, on thousands of texts (training tweets and generated)", async () => {
    const counts = await checkConsistency(model);
    // The check means something only if the model gives every label often.
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(200);
  });

  it.each(BAD_TEXTS.map((text) => [JSON.stringify(text.slice(0, 30)), text]))(
    "gives a valid three-way answer for %s",
    async (_name, text) => {
      const [p] = await model.predict([text]);
      expectValidThreeWay(p);
    },
  );

  it("scores a text in a batch exactly as alone", async () => {
    const texts = ["love it", "so sad", "the meeting", ...BAD_TEXTS];
    const together = await model.predict(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = await model.predict([text]);
      expect(alone).toEqual(together[i]);
    }
  });

  it("labels from the score with the thresholds rule, exactly as the notebook rule", async () => {
    const thresholdsModel = await loadSentimentModel(join(root, "model"), {
      backend: "wasm",
      labelRule: "thresholds",
    });
    try {
      expect(thresholdsModel.labelRule).toBe("thresholds");
      const texts = generatedTexts(2000);
      const byModel = await model.predict(texts);
      const byThresholds = await thresholdsModel.predict(texts);
      byThresholds.forEach((p, i) => {
        expect(p.score).toBe(byModel[i]?.score);
        expect(p.probabilities).toEqual(byModel[i]?.probabilities);
        expect(p.label).toBe(labelForScore(p.score, DEFAULT_THRESHOLDS));
      });
    } finally {
      thresholdsModel.dispose();
    }
  });

  it("reads the output columns in the order metadata.json's classes give", async () => {
    const dir = join(root, "swapped");
    await writeThreeClassModel(dir, { classes: ["POSITIVE", "NEUTRAL", "NEGATIVE"] });
    const swapped = await loadSentimentModel(dir, { backend: "wasm" });
    try {
      const [love] = await swapped.predict(["I love this, best day"]);
      const [original] = await model.predict(["I love this, best day"]);
      expect(love?.label).toBe("NEGATIVE");
      expect(love?.probabilities.negative).toBe(original?.probabilities.positive);
    } finally {
      swapped.dispose();
    }
  });

  it("serves a network with a hidden layer before the softmax", async () => {
    const dir = join(root, "hidden");
    await writeThreeClassModel(dir, { hidden: 8 });
    const hidden = await loadSentimentModel(dir, { backend: "wasm" });
    try {
      for (const p of await hidden.predict(["love it", "hate it", ...BAD_TEXTS])) {
        expectValidThreeWay(p);
      }
    } finally {
      hidden.dispose();
    }
  });
});

describe("a model folder whose metadata does not match its network", () => {
  const cases: [string, ThreeClassFixtureOptions, RegExp][] = [
    ["3-class metadata, one sigmoid output", { outputUnits: 1 }, /3 classes but the network has 1/],
    ["binary metadata, three outputs", { classes: null }, /no classes \(a binary model\)/],
    [
      "two classes, three outputs",
      { classes: ["NEGATIVE", "POSITIVE"] },
      /NEGATIVE, NEUTRAL and POSITIVE once each/,
    ],
    ["a class twice", { classes: ["NEGATIVE", "NEGATIVE", "POSITIVE"] }, /once each/],
    ["logits instead of a softmax", { activation: "linear" }, /must be a softmax/],
  ];
  it.each(cases)("is refused at load: %s", async (name, options, message) => {
    const dir = join(root, `bad-${name.replaceAll(/\W+/g, "-")}`);
    await writeThreeClassModel(dir, options);
    const error = await loadSentimentModel(dir, { backend: "wasm" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ code: "model_files_invalid" });
    expect((error as Error).message).toMatch(message);
  });
});

describe.each(SHIPPED_THREE_CLASS_DIRS)("the shipped 3-class model %s", (dir) => {
  it("never contradicts label and score and answers awkward texts three ways", async () => {
    const shipped = await loadSentimentModel(dir, { backend: "wasm" });
    try {
      expect(shipped.labelRule).toBe("model");
      const counts = await checkConsistency(shipped);
      expect(counts.NEUTRAL).toBeGreaterThan(0);
      for (const p of await shipped.predict(BAD_TEXTS)) expectValidThreeWay(p);
    } finally {
      shipped.dispose();
    }
  }, 300_000);
});
