import { expect, test } from "vitest";
import type { Prediction } from "../../src/model/inference.js";
import { decodePredictions, encodePredictions } from "../../src/serving/worker-protocol.js";

test("decodes what it encodes, labels and full-precision scores in order", () => {
  const predictions: Prediction[] = [
    { label: "POSITIVE", score: 0.912345678901234 },
    { label: "NEGATIVE", score: 0.000001 },
    { label: "NEUTRAL", score: 0.5 },
  ];
  const { labelIndexes, scores } = encodePredictions(predictions);
  expect(decodePredictions(labelIndexes, scores)).toEqual(predictions);
});

test("refuses to encode a label it does not know", () => {
  const odd = [{ label: "MIXED", score: 0.5 }] as unknown as Prediction[];
  expect(() => encodePredictions(odd)).toThrow(/unknown label/);
});

test("refuses to decode a label index it does not know", () => {
  expect(() => decodePredictions(new Uint8Array([7]), new Float64Array([0.5]))).toThrow(
    /unknown label index/,
  );
});
