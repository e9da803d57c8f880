import { describe, expect, it } from "vitest";
import {
  averageLogits,
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
