import { describe, expect, it } from "vitest";
import { compactSequences, mulberry32 } from "../../src/model/bag-of-embeddings.js";
import type { SoftmaxExamples, SoftmaxTrainingOptions } from "../../src/model/softmax-bag.js";
import {
  evaluateProbabilities,
  logOf,
  NEGATIVE,
  NEUTRAL,
  POSITIVE,
  predictProbabilities,
  rowLoss,
  softmax3,
  trainSoftmaxBag,
  tuneBiasOffsets,
  withBiasOffsets,
} from "../../src/model/softmax-bag.js";

// Ids 1-4 are negative words, 5-8 positive words, 9-20 filler: a neutral row is filler only.
const L = 8;
function rows(n: number, seed: number, labelOf: (i: number) => number): SoftmaxExamples {
  const random = mulberry32(seed);
  const ids = new Int32Array(n * L);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = labelOf(i);
    labels[i] = label;
    for (let p = 0; p < L; p++) ids[i * L + p] = 9 + Math.floor(random() * 12);
    if (label !== NEUTRAL) {
      const first = label === NEGATIVE ? 1 : 5;
      ids[i * L + Math.floor(random() * L)] = first + Math.floor(random() * 4);
      ids[i * L + Math.floor(random() * L)] = first + Math.floor(random() * 4);
    }
  }
  return {
    seqs: compactSequences(ids, L),
    labels,
    binary: new Uint8Array(n),
    weights: new Float32Array(n).fill(1),
  };
}
const threeWay = (i: number) => i % 3;
const polar = (i: number) => (i % 2 === 0 ? NEGATIVE : POSITIVE);
const asBinary = (set: SoftmaxExamples): SoftmaxExamples => ({
  ...set,
  binary: new Uint8Array(set.labels.length).fill(1),
});

const options: SoftmaxTrainingOptions = {
  vocabSize: 21,
  epochs: 8,
  batchSize: 16,
  learningRate: 0.05,
  learningRateDecay: 0.9,
  embeddingL2: 0,
  featureDropout: 0,
  patience: 3,
  checksPerEpoch: 1,
  seed: 7,
};

describe("rowLoss", () => {
  it("is the cross-entropy of a 3-class row, with gradient p - onehot", () => {
    const p = Float64Array.from([0.2, 0.5, 0.3]);
    const grad = new Float64Array(3);
    expect(rowLoss(p, NEUTRAL, false, grad)).toBeCloseTo(-Math.log(0.5), 12);
    expect([...grad]).toEqual([0.2, 0.5 - 1, 0.3]);
  });

  it("scores a binary row on p_pos / (p_neg + p_pos) only: the neutral logit gets no gradient", () => {
    const grad = new Float64Array(3);
    const loss = (z: number[]) => {
      const p = Float64Array.from(z);
      softmax3(p);
      return rowLoss(p, POSITIVE, true, grad);
    };
    const at = [0.3, 2, -0.4];
    const value = loss(at);
    expect(value).toBeCloseTo(Math.log(1 + Math.exp(0.7)), 6);
    // The neutral logit does not change the loss at all.
    expect(loss([0.3, -5, -0.4])).toBeCloseTo(value, 12);
    loss(at);
    const analytic = [...grad];
    expect(analytic[NEUTRAL]).toBe(0);
    for (const k of [NEGATIVE, POSITIVE]) {
      const h = 1e-5;
      const plus = at.slice();
      plus[k] = (plus[k] as number) + h;
      const minus = at.slice();
      minus[k] = (minus[k] as number) - h;
      expect((loss(plus) - loss(minus)) / (2 * h)).toBeCloseTo(analytic[k] as number, 6);
    }
  });
});

describe("trainSoftmaxBag", () => {
  it("learns three classes: validation argmax accuracy far above chance", () => {
    const result = trainSoftmaxBag(rows(600, 1, threeWay), rows(150, 2, threeWay), options);
    const best = result.history.find((h) => h.epoch === result.bestEpoch);
    expect(best?.validationAccuracy).toBeGreaterThan(0.9);
    expect(best?.validationLoss).toBeLessThan(result.history[0]?.validationLoss ?? 0);
  });

  it("polarity-only rows never train the neutral column or bias", () => {
    const initial = trainSoftmaxBag(rows(10, 1, polar), rows(10, 2, polar), {
      ...options,
      epochs: 0,
    });
    const trained = trainSoftmaxBag(
      asBinary(rows(400, 1, polar)),
      asBinary(rows(100, 2, polar)),
      options,
    );
    const neutralColumn = (e: Float32Array) => [...e].filter((_, j) => j % 3 === NEUTRAL);
    expect(neutralColumn(trained.weights.embedding)).toEqual(
      neutralColumn(initial.weights.embedding),
    );
    expect(trained.weights.bias[NEUTRAL]).toBe(0);
    // ... while they do teach polarity.
    const best = trained.history.find((h) => h.epoch === trained.bestEpoch);
    expect(best?.validationAccuracy).toBeGreaterThan(0.9);
  });

  it("mixes 3-class and polarity-only rows and still predicts NEUTRAL", () => {
    const threeClass = rows(300, 1, threeWay);
    const polarity = asBinary(rows(600, 3, polar));
    const cat = (a: SoftmaxExamples, b: SoftmaxExamples): SoftmaxExamples => {
      const n = a.labels.length;
      const offsets = new Uint32Array(n + b.labels.length + 1);
      offsets.set(a.seqs.offsets);
      const base = a.seqs.ids.length;
      for (let i = 1; i <= b.labels.length; i++) {
        offsets[n + i] = base + (b.seqs.offsets[i] as number);
      }
      const join = <T extends Uint8Array | Float32Array | Int32Array>(
        x: T,
        y: T,
        make: (k: number) => T,
      ) => {
        const out = make(x.length + y.length);
        out.set(x);
        out.set(y, x.length);
        return out;
      };
      return {
        seqs: {
          offsets,
          ids: join(a.seqs.ids, b.seqs.ids, (k) => new Int32Array(k)),
          shares: join(a.seqs.shares, b.seqs.shares, (k) => new Float32Array(k)),
        },
        labels: join(a.labels, b.labels, (k) => new Uint8Array(k)),
        binary: join(a.binary, b.binary, (k) => new Uint8Array(k)),
        weights: join(a.weights, b.weights, (k) => new Float32Array(k)),
      };
    };
    const result = trainSoftmaxBag(cat(threeClass, polarity), rows(150, 2, threeWay), options);
    const validation = rows(150, 2, threeWay);
    const p = predictProbabilities(result.weights, validation.seqs);
    const report = evaluateProbabilities(
      p,
      [...validation.labels].map(
        (l) => (["negative", "neutral", "positive"] as const)[l] ?? "neutral",
      ),
      "3class",
    );
    expect(report.classes.NEUTRAL?.recall).toBeGreaterThan(0.8);
    expect(report.accuracy).toBeGreaterThan(0.9);
  });

  it("is reproducible: the same seed gives byte-identical weights, another seed different ones", () => {
    const run = (seed: number) =>
      trainSoftmaxBag(rows(300, 1, threeWay), rows(60, 2, threeWay), {
        ...options,
        epochs: 2,
        featureDropout: 0.2,
        seed,
      }).weights;
    const bytes = (w: ReturnType<typeof run>) =>
      Buffer.concat([Buffer.from(w.embedding.buffer), Buffer.from(w.bias.buffer)]);
    expect(bytes(run(7)).equals(bytes(run(7)))).toBe(true);
    expect(bytes(run(7)).equals(bytes(run(8)))).toBe(false);
  });

  it("keeps the padding row at zero", () => {
    const result = trainSoftmaxBag(rows(100, 1, threeWay), rows(30, 2, threeWay), options);
    expect([...result.weights.embedding.subarray(0, 3)]).toEqual([0, 0, 0]);
  });
});

describe("tuneBiasOffsets", () => {
  it("finds the offsets that move under-predicted classes back, and folds them into the bias", () => {
    // Every row leans NEUTRAL by 0.3 over its true class: a -0.3 NEUTRAL shift (here +0.35 on
    // both polar logits) makes every 3-class row right.
    const labels = Uint8Array.from([NEGATIVE, NEUTRAL, POSITIVE, NEGATIVE, POSITIVE]);
    const logits = new Float32Array(labels.length * 3);
    labels.forEach((label, i) => {
      logits[i * 3 + label] = 1;
      logits[i * 3 + NEUTRAL] = label === NEUTRAL ? 1 : 1.3;
    });
    const binary = { logProbabilities: new Float32Array(0), labels: new Uint8Array(0) };
    const tuning = tuneBiasOffsets(
      { logProbabilities: logits, labels },
      binary,
      undefined,
      1,
      0.05,
    );
    // Untuned, every row is NEUTRAL: accuracy 1/5, macro-F1 (0 + 2/6 + 0) / 3.
    expect(tuning.untunedObjective).toBeCloseTo(1 / 5 + 1 / 9, 6);
    expect(tuning.objective).toBeCloseTo(2, 6);
    expect(tuning.offsets[NEUTRAL]).toBe(0);
    expect(tuning.offsets[NEGATIVE]).toBeGreaterThan(0.3);
    expect(tuning.offsets[POSITIVE]).toBeGreaterThan(0.3);
    const w = { vocabSize: 1, embedding: new Float32Array(3), bias: Float32Array.of(1, 2, 3) };
    expect([...withBiasOffsets(w, tuning.offsets).bias]).toEqual(
      [1, 2, 3].map((b, k) => Math.fround(b + (tuning.offsets[k] as number))),
    );
  });

  it("weighs the 3-class rows to the class mix it is given", () => {
    // Two NEUTRAL rows lean POSITIVE by 0.1, eight POSITIVE rows lean NEUTRAL by 0.1: one
    // POSITIVE offset cannot make both right. On the set's own mix the POSITIVE rows win; at a
    // mostly neutral mix the NEUTRAL rows do.
    const labels = Uint8Array.from([NEUTRAL, NEUTRAL, ...Array(8).fill(POSITIVE)]);
    const logits = new Float32Array(labels.length * 3);
    labels.forEach((label, i) => {
      logits.set(label === NEUTRAL ? [0, 1, 1.1] : [0, 1.1, 1], i * 3);
    });
    const set = { logProbabilities: logits, labels };
    const binary = { logProbabilities: new Float32Array(0), labels: new Uint8Array(0) };
    expect(tuneBiasOffsets(set, binary).offsets[POSITIVE]).toBeGreaterThan(0.1);
    expect(tuneBiasOffsets(set, binary, [0.1, 0.8, 0.1]).offsets[POSITIVE]).toBeLessThan(-0.1);
  });

  it("takes log probabilities (logOf floors zero)", () => {
    expect([...logOf(Float32Array.of(1, 0))]).toEqual([0, Math.fround(Math.log(1e-30))]);
  });
});

describe("evaluateProbabilities", () => {
  const p = Float32Array.of(0.5, 0.3, 0.2, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6);
  it("labels 3-class rows by argmax", () => {
    const report = evaluateProbabilities(p, ["negative", "neutral", "neutral"], "3class");
    expect(report.confusion.matrix).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 0],
    ]);
  });

  it("scores binary rows on p_pos / (p_neg + p_pos) >= 0.5", () => {
    // Scores 2/7, 0.75, 0.75: the middle row is POSITIVE though its argmax is NEUTRAL.
    const report = evaluateProbabilities(p, ["negative", "positive", "negative"], "binary");
    expect(report.confusion.matrix).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(report.logLoss).toBeCloseTo(-(Math.log(5 / 7) + Math.log(0.75) + Math.log(0.25)) / 3, 5);
  });
});
