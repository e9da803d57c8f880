import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/model/backend.js";
import { compactSequences, initWeights, mulberry32 } from "../../src/model/bag-of-embeddings.js";
import { compactBagNetwork } from "../../src/model/compact-bag-network.js";
import { buildNetwork } from "../../src/model/tfjs-network.js";

const L = 12;

/** Rows of L ids, repeat-padded like encodeTexts: `distinct` random ids cycled over the row. */
function repeatPaddedIds(rows: number, vocabSize: number, seed: number): Int32Array {
  const random = mulberry32(seed);
  const ids = new Int32Array(rows * L);
  for (let row = 0; row < rows; row++) {
    const distinct = 1 + Math.floor(random() * L);
    for (let p = 0; p < distinct; p++)
      ids[row * L + p] = 1 + Math.floor(random() * (vocabSize - 1));
    for (let p = distinct; p < L; p++) ids[row * L + p] = ids[row * L + p - distinct] as number;
  }
  return ids;
}

function layersScores(model: tfl.LayersModel, ids: Int32Array): Float32Array {
  return tf.tidy(
    () =>
      (
        model.predictOnBatch(tf.tensor2d(ids, [ids.length / L, L], "int32")) as tf.Tensor
      ).dataSync() as Float32Array,
  );
}

beforeAll(async () => {
  await selectBackend("wasm");
});

describe("compactBagNetwork", () => {
  for (const hidden of [0, 8]) {
    it(`scores compact sequences as the layers model scores full rows (hidden ${hidden})`, () => {
      const weights = initWeights(60, 5, hidden, mulberry32(5));
      for (let i = 5; i < weights.embedding.length; i++) {
        weights.embedding[i] = (weights.embedding[i] as number) * 40;
      }
      const model = buildNetwork(weights, L);
      try {
        const ids = repeatPaddedIds(30, 60, 9);
        ids.fill(0, 0, L); // one row of padding only: no ids at all
        const compact = compactBagNetwork(model);
        expect(compact).toBeDefined();
        const output = compact?.predict(compactSequences(ids, L)) as tf.Tensor;
        const actual = output.dataSync();
        output.dispose();
        const expected = layersScores(model, ids);
        expect(actual).toHaveLength(30);
        const diffs = [...expected].map((e, i) => Math.abs(e - (actual[i] as number)));
        expect(Math.max(...diffs)).toBeLessThan(1e-6);
        expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.05);
      } finally {
        model.dispose();
      }
    });
  }

  for (const hidden of [0, 6]) {
    it(`gives a 3-way softmax network's [rows, 3] output as the layers model does (hidden ${hidden})`, () => {
      const random = mulberry32(21);
      const values = (n: number, scale: number) =>
        Float32Array.from({ length: n }, () => (random() - 0.5) * scale);
      const embedding = values(60 * 5, 8);
      embedding.fill(0, 0, 5); // the padding row
      const layers: tfl.layers.Layer[] = [
        tfl.layers.embedding({ inputDim: 60, outputDim: 5, inputLength: L }),
        tfl.layers.globalAveragePooling1d(),
      ];
      const weights: tf.Tensor[] = [tf.tensor2d(embedding, [60, 5])];
      let width = 5;
      if (hidden > 0) {
        layers.push(tfl.layers.dense({ units: hidden, activation: "relu" }));
        weights.push(
          tf.tensor2d(values(5 * hidden, 2), [5, hidden]),
          tf.tensor1d(values(hidden, 1)),
        );
        width = hidden;
      }
      layers.push(tfl.layers.dense({ units: 3, activation: "softmax" }));
      weights.push(tf.tensor2d(values(width * 3, 4), [width, 3]), tf.tensor1d(values(3, 1)));
      const model = tfl.sequential({ layers });
      model.setWeights(weights);
      for (const t of weights) t.dispose();
      try {
        const ids = repeatPaddedIds(30, 60, 4);
        ids.fill(0, L, 2 * L); // a row with no ids at all
        const compact = compactBagNetwork(model);
        expect(compact).toBeDefined();
        const output = compact?.predict(compactSequences(ids, L)) as tf.Tensor;
        expect(output.shape).toEqual([30, 3]);
        const actual = output.dataSync();
        output.dispose();
        const expected = layersScores(model, ids);
        expect(actual).toHaveLength(90);
        const diffs = [...expected].map((e, i) => Math.abs(e - (actual[i] as number)));
        expect(Math.max(...diffs)).toBeLessThan(1e-6);
        for (let row = 0; row < 30; row++) {
          const sum = [0, 1, 2].reduce((a, k) => a + (actual[row * 3 + k] as number), 0);
          expect(sum).toBeCloseTo(1, 5);
        }
      } finally {
        model.dispose();
      }
    });
  }

  it("leaves no tensors behind", () => {
    const model = buildNetwork(initWeights(20, 3, 0, mulberry32(1)), L);
    try {
      const compact = compactBagNetwork(model);
      const before = tf.memory().numTensors;
      compact?.predict(compactSequences(repeatPaddedIds(4, 20, 2), L)).dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });

  it("declines a network whose padding row is not zero (compact sequences leave it out)", () => {
    const weights = initWeights(20, 3, 0, mulberry32(1));
    weights.embedding[0] = 0.5;
    const model = buildNetwork(weights, L);
    try {
      expect(compactBagNetwork(model)).toBeUndefined();
    } finally {
      model.dispose();
    }
  });

  it("declines a network that is not a bag of embeddings", () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 20, outputDim: 3, inputLength: L }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    try {
      expect(compactBagNetwork(model)).toBeUndefined();
    } finally {
      model.dispose();
    }
  });
});
