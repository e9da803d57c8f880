import { describe, expect, it } from "vitest";
import { DEFAULT_PREPROCESS_SETTINGS, extractFeatures } from "../../src/model/preprocess.js";
import type { EncodedExamples, TrainingOptions } from "../../src/model/trainer.js";
import { lossAndAccuracy, trainBagOfEmbeddings } from "../../src/model/trainer.js";
import { buildVocabulary, encodeTexts } from "../../src/model/vocabulary.js";
import { syntheticRows } from "./synthetic-sentiment.js";

const settings = { ...DEFAULT_PREPROCESS_SETTINGS, sequenceLength: 16 };
const trainRows = syntheticRows(300, 1);
const validationRows = syntheticRows(100, 2);
const vocabulary = buildVocabulary(
  trainRows.map((r) => extractFeatures(r.text, settings)),
  { minTokenCount: 1, minBigramCount: 2, maxFeatures: 1000 },
);

function encoded(rows: typeof trainRows): EncodedExamples {
  return {
    ids: encodeTexts(
      rows.map((r) => r.text),
      vocabulary,
      settings,
    ),
    targets: Float32Array.from(rows.map((r) => r.label)),
    sequenceLength: settings.sequenceLength,
  };
}

const options: TrainingOptions = {
  vocabSize: vocabulary.size,
  dim: 8,
  hidden: 0,
  epochs: 6,
  batchSize: 16,
  learningRate: 0.02,
  learningRateDecay: 0.9,
  embeddingL2: 0,
  positionDropout: 0,
  patience: 2,
  seed: 42,
};

/** Trains on the synthetic rows with `options`, as modified by `overrides`. */
function train(overrides: Partial<TrainingOptions> = {}) {
  return trainBagOfEmbeddings(encoded(trainRows), encoded(validationRows), {
    ...options,
    ...overrides,
  });
}

describe("trainBagOfEmbeddings", () => {
  it("learns a separable task: validation loss drops and accuracy is far above chance", () => {
    const result = train();
    const first = result.history[0];
    const best = result.history.find((h) => h.epoch === result.bestEpoch);
    expect(best?.validationLoss).toBeLessThan(first?.validationLoss ?? 0);
    expect(best?.validationAccuracy).toBeGreaterThan(0.9);
  });

  it("learns with a hidden layer and feature dropout too", () => {
    const result = train({ hidden: 4, positionDropout: 0.2 });
    const best = result.history.find((h) => h.epoch === result.bestEpoch);
    expect(best?.validationAccuracy).toBeGreaterThan(0.85);
  });

  it("is reproducible: the same seed gives the same weights", () => {
    const a = train({ epochs: 2 });
    const b = train({ epochs: 2 });
    expect(
      Buffer.from(a.weights.embedding.buffer).equals(Buffer.from(b.weights.embedding.buffer)),
    ).toBe(true);
  });

  it("keeps the padding row of the embedding at zero", () => {
    const result = train({ epochs: 1 });
    expect([...result.weights.embedding.subarray(0, options.dim)].every((x) => x === 0)).toBe(true);
  });

  it("stops early once validation loss stops improving", () => {
    const result = train({
      epochs: 60,
      learningRate: 0.2,
      learningRateDecay: 1,
      patience: 1,
    });
    expect(result.history.length).toBeLessThan(60);
    expect(result.history.length).toBe(result.bestEpoch + 1);
  });
});

describe("lossAndAccuracy", () => {
  it("computes mean cross-entropy and accuracy at the 0.5 cut", () => {
    const { loss, accuracy } = lossAndAccuracy(
      Float32Array.from([0.9, 0.2, 0.6]),
      Float32Array.from([1, 0, 0]),
    );
    expect(accuracy).toBeCloseTo(2 / 3, 10);
    expect(loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3, 6);
  });
});

describe("trainBagOfEmbeddings with weight averaging", () => {
  it("returns averaged weights that still solve the task", () => {
    const result = train({ averageDecay: 0.9 });
    const best = result.history.find((h) => h.epoch === result.bestEpoch);
    expect(best?.validationAccuracy).toBeGreaterThan(0.9);
  });

  it("returns weights different from the unaveraged run with the same seed", () => {
    const plain = train({ epochs: 2 });
    const averaged = train({ epochs: 2, averageDecay: 0.9 });
    expect(averaged.weights.embedding).not.toEqual(plain.weights.embedding);
    expect([...averaged.weights.embedding.subarray(0, options.dim)].every((x) => x === 0)).toBe(
      true,
    );
  });
});
