import { describe, expect, it } from "vitest";
import {
  averageLogits,
  combineSegments,
  compactSequences,
  foldOutputLayer,
  initWeights,
  mulberry32,
  predictCompact,
  predictIds,
  sigmoid,
} from "../../src/model/bag-of-embeddings.js";

describe("mulberry32", () => {
  it("repeats its sequence for the same seed and differs for another", () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    const c = mulberry32(10);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect([c(), c(), c()]).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe("sigmoid", () => {
  it("is stable for large magnitudes", () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(0)).toBe(0.5);
  });
});

describe("compactSequences", () => {
  it("keeps distinct non-padding ids with their share of the length", () => {
    const c = compactSequences(Int32Array.from([3, 5, 3, 0, 0, 0, 0, 0]), 4);
    expect([...c.offsets]).toEqual([0, 2, 2]);
    expect([...c.ids]).toEqual([3, 5]);
    expect([...c.shares]).toEqual([0.5, 0.25]);
  });

  it("scores exactly like the position-by-position forward pass", () => {
    const random = mulberry32(4);
    const weights = initWeights(40, 5, 3, random);
    const L = 10;
    const ids = new Int32Array(30 * L);
    for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(random() * 40);
    const full = predictIds(weights, ids, L);
    const compact = predictCompact(weights, compactSequences(ids, L));
    for (const [i, p] of full.entries())
      expect(Math.abs(p - (compact[i] as number))).toBeLessThan(1e-6);
  });
});

describe("averageLogits", () => {
  it("scores with the mean of the members' logits", () => {
    const random = mulberry32(8);
    const members = [initWeights(20, 3, 0, random), initWeights(20, 5, 0, random)];
    members[0]?.outputBias.fill(0.4);
    members[1]?.outputBias.fill(-1);
    const L = 6;
    const ids = new Int32Array(12 * L);
    for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(random() * 20);
    const logit = (p: number) => Math.log(p / (1 - p));
    const scores = members.map((m) => predictIds(m, ids, L));
    const combined = predictIds(averageLogits(members), ids, L);
    for (const [i, p] of combined.entries()) {
      const expected = sigmoid(
        (logit(scores[0]?.[i] as number) + logit(scores[1]?.[i] as number)) / 2,
      );
      expect(Math.abs(p - expected)).toBeLessThan(1e-6);
    }
  });

  it("refuses members with a hidden layer", () => {
    expect(() => averageLogits([initWeights(5, 2, 3, mulberry32(1))])).toThrow();
  });
});

describe("foldOutputLayer", () => {
  it("scores like the unfolded network with one number per vocabulary row", () => {
    const random = mulberry32(12);
    const weights = initWeights(30, 7, 0, random);
    weights.outputBias.fill(-0.3);
    const L = 8;
    const ids = new Int32Array(20 * L);
    for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(random() * 30);
    const folded = foldOutputLayer(weights);
    expect(folded.dim).toBe(1);
    expect(folded.embedding).toHaveLength(30);
    expect(folded.embedding[0]).toBe(0);
    const expected = predictIds(weights, ids, L);
    const actual = predictIds(folded, ids, L);
    for (const [i, p] of actual.entries()) {
      expect(Math.abs(p - (expected[i] as number))).toBeLessThan(1e-6);
    }
  });

  it("refuses a network with a hidden layer", () => {
    expect(() => foldOutputLayer(initWeights(5, 2, 3, mulberry32(1)))).toThrow();
  });
});

describe("combineSegments", () => {
  it("scores concatenated segments with the weighted sum of each segment's own logit", () => {
    const random = mulberry32(21);
    const words = foldOutputLayer(initWeights(12, 4, 0, random));
    const chars = foldOutputLayer(initWeights(9, 3, 0, random));
    words.outputBias.fill(0.5);
    chars.outputBias.fill(-0.8);
    const [wordLength, charLength, rows] = [4, 10, 15];
    const wordIds = new Int32Array(rows * wordLength);
    const charIds = new Int32Array(rows * charLength);
    for (let i = 0; i < wordIds.length; i++) wordIds[i] = Math.floor(random() * 12);
    for (let i = 0; i < charIds.length; i++) charIds[i] = Math.floor(random() * 9);
    // The combined numbering: word ids as they are, character ids after the 11 word features.
    const length = wordLength + charLength;
    const ids = new Int32Array(rows * length);
    for (let r = 0; r < rows; r++) {
      ids.set(wordIds.subarray(r * wordLength, (r + 1) * wordLength), r * length);
      const charRow = charIds.subarray(r * charLength, (r + 1) * charLength);
      ids.set(
        charRow.map((id) => (id === 0 ? 0 : id + 11)),
        r * length + wordLength,
      );
    }
    const combined = combineSegments([
      { weights: words, sequenceLength: wordLength, weight: 0.7 },
      { weights: chars, sequenceLength: charLength, weight: 0.3 },
    ]);
    expect(combined.vocabSize).toBe(1 + 11 + 8);
    const logit = (p: number) => Math.log(p / (1 - p));
    const wordScores = predictIds(words, wordIds, wordLength);
    const charScores = predictIds(chars, charIds, charLength);
    for (const [i, p] of predictIds(combined, ids, length).entries()) {
      const expected = sigmoid(
        0.7 * logit(wordScores[i] as number) + 0.3 * logit(charScores[i] as number),
      );
      expect(Math.abs(p - expected)).toBeLessThan(1e-6);
    }
  });

  it("refuses networks that are not folded", () => {
    const weights = initWeights(5, 2, 0, mulberry32(1));
    expect(() => combineSegments([{ weights, sequenceLength: 3, weight: 1 }])).toThrow(/folded/);
  });
});
