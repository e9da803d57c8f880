import { expect, test } from "vitest";
import type { Prediction } from "../../src/model/inference.js";
import {
  decodePredictions,
  encodePredictions,
  transferList,
} from "../../src/serving/worker-protocol.js";

const p = (negative: number, neutral: number, positive: number) => ({
  negative,
  neutral,
  positive,
});

test("decodes what it encodes: labels, full-precision scores and probabilities, in order", () => {
  const predictions: Prediction[] = [
    { label: "POSITIVE", score: 0.912345678901234, probabilities: p(0.05, 0.43, 0.52) },
    { label: "NEGATIVE", score: 0.000001, probabilities: p(0.999999, 0, 0.000001) },
    { label: "NEUTRAL", score: 0.5, probabilities: p(0.1, 0.8, 0.1) },
  ];
  const packed = encodePredictions(predictions);
  expect(packed.probabilities).toHaveLength(9);
  expect(decodePredictions(packed)).toEqual(predictions);
});

test("packs into three typed arrays whose buffers can be transferred", () => {
  const packed = encodePredictions([
    { label: "NEUTRAL", score: 0.5, probabilities: p(0.25, 0.5, 0.25) },
  ]);
  expect(packed.labelIndexes).toBeInstanceOf(Uint8Array);
  expect(packed.scores).toBeInstanceOf(Float64Array);
  expect(packed.probabilities).toBeInstanceOf(Float64Array);
  expect(transferList(packed)).toEqual([
    packed.labelIndexes.buffer,
    packed.scores.buffer,
    packed.probabilities.buffer,
  ]);
});

test("refuses to encode a label it does not know", () => {
  const odd = [
    { label: "MIXED", score: 0.5, probabilities: p(0, 1, 0) },
  ] as unknown as Prediction[];
  expect(() => encodePredictions(odd)).toThrow(/unknown label/);
});

test("refuses to decode a label index it does not know", () => {
  expect(() =>
    decodePredictions({
      labelIndexes: new Uint8Array([7]),
      scores: new Float64Array([0.5]),
      probabilities: new Float64Array([0, 1, 0]),
    }),
  ).toThrow(/unknown label index/);
});

test("refuses to decode arrays of disagreeing lengths", () => {
  expect(() =>
    decodePredictions({
      labelIndexes: new Uint8Array([1, 1]),
      scores: new Float64Array([0.5, 0.5]),
      probabilities: new Float64Array([0, 1, 0]),
    }),
  ).toThrow(/disagree/);
});
