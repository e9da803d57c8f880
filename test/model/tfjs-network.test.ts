import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/model/backend.js";
import {
  compactSequences,
  initWeights,
  mulberry32,
  predictIds,
} from "../../src/model/bag-of-embeddings.js";
import { predictProbabilities } from "../../src/model/softmax-bag.js";
import {
  buildNetwork,
  buildSoftmaxNetwork,
  deserializeNetwork,
  serializeNetwork,
  WEIGHTS_FILE,
} from "../../src/model/tfjs-network.js";

const L = 12;

function randomIds(n: number, vocabSize: number, seed: number): Int32Array {
  const random = mulberry32(seed);
  const ids = new Int32Array(n * L);
  for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(random() * vocabSize);
  return ids;
}

function tfjsScores(model: ReturnType<typeof buildNetwork>, ids: Int32Array): Float32Array {
  return tf.tidy(
    () =>
      (
        model.predict(tf.tensor2d(ids, [ids.length / L, L], "int32")) as tf.Tensor
      ).dataSync() as Float32Array,
  );
}

beforeAll(async () => {
  await selectBackend("wasm");
});

describe("buildNetwork", () => {
  for (const hidden of [0, 8]) {
    it(`computes what the typed-array network computes (hidden ${hidden})`, () => {
      const weights = initWeights(50, 6, hidden, mulberry32(7));
      // Larger weights than the initialisation so scores spread away from 0.5.
      for (let i = 6; i < weights.embedding.length; i++) {
        weights.embedding[i] = (weights.embedding[i] as number) * 40;
      }
      weights.outputBias[0] = 0.3;
      const ids = randomIds(40, 50, 3);
      const model = buildNetwork(weights, L);
      try {
        const expected = predictIds(weights, ids, L);
        const actual = tfjsScores(model, ids);
        const diffs = [...expected].map((e, i) => Math.abs(e - (actual[i] as number)));
        expect(Math.max(...diffs)).toBeLessThan(1e-5);
        expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.05);
      } finally {
        model.dispose();
      }
    });
  }
});

describe("buildSoftmaxNetwork", () => {
  it("computes the typed-array three-way probabilities, rows summing to 1", () => {
    const random = mulberry32(9);
    const vocabSize = 40;
    const embedding = Float32Array.from({ length: vocabSize * 3 }, (_, i) =>
      i < 3 ? 0 : (random() * 2 - 1) * 8,
    );
    const weights = { vocabSize, embedding, bias: Float32Array.of(0.2, -0.1, 0.3) };
    const ids = randomIds(30, vocabSize, 4);
    const model = buildSoftmaxNetwork(weights, L);
    try {
      const expected = predictProbabilities(weights, compactSequences(ids, L));
      const actual = tfjsScores(model, ids);
      expect(actual.length).toBe(30 * 3);
      const diffs = [...expected].map((e, i) => Math.abs(e - (actual[i] as number)));
      expect(Math.max(...diffs)).toBeLessThan(1e-5);
      for (let i = 0; i < 30; i++) {
        const sum =
          (actual[i * 3] as number) + (actual[i * 3 + 1] as number) + (actual[i * 3 + 2] as number);
        expect(sum).toBeCloseTo(1, 5);
      }
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.3);
    } finally {
      model.dispose();
    }
  });
});

describe("serializeNetwork / deserializeNetwork", () => {
  it("round-trips a network through model.json and weights.bin contents", async () => {
    const weights = initWeights(30, 4, 3, mulberry32(11));
    const model = buildNetwork(weights, L);
    const ids = randomIds(10, 30, 5);
    const saved = await serializeNetwork(model);
    const loaded = await deserializeNetwork(
      JSON.parse(JSON.stringify(saved.modelJson)),
      saved.weightsBin,
    );
    try {
      const manifest = saved.modelJson.weightsManifest as { paths: string[] }[];
      expect(manifest[0]?.paths).toEqual([WEIGHTS_FILE]);
      expect([...tfjsScores(loaded, ids)]).toEqual([...tfjsScores(model, ids)]);
    } finally {
      model.dispose();
      loaded.dispose();
    }
  });

  it("rejects a model.json without topology", async () => {
    await expect(deserializeNetwork({}, new Uint8Array(0))).rejects.toThrow(/modelTopology/);
  });
});
