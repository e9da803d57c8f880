import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/model/backend.js";
import { compactBagNetwork } from "../../src/model/compact-bag-network.js";
import { loadSentimentModel, ModelLoadError } from "../../src/model/inference.js";
import { readModelDirectory } from "../../src/model/model-directory.js";
import { deserializeNetwork } from "../../src/model/tfjs-network.js";
import { encodeCompact } from "../../src/model/vocabulary.js";
import {
  FIXTURE_NEGATIVE_WORDS,
  FIXTURE_POSITIVE_WORDS,
  writeThreeClassModel,
} from "./three-class-fixture.js";

const TEXTS = [
  "love love love the train today",
  "hate it, the worst meeting",
  "my phone is at the meeting",
  `${FIXTURE_POSITIVE_WORDS.join(" ")} ${FIXTURE_NEGATIVE_WORDS.join(" ")}`,
  "",
  "😀😀😀 https://t.co/x",
  "best ".repeat(500),
];

let root: string;

beforeAll(async () => {
  await selectBackend("wasm");
  root = await mkdtemp(join(tmpdir(), "tfidf-model-"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The folder's network run by TF.js ops on the folder's own TF-IDF compact sequences. */
async function tfjsProbabilities(dir: string, texts: readonly string[]): Promise<Float32Array> {
  const files = await readModelDirectory(dir);
  const network = await deserializeNetwork(files.network.modelJson, files.network.weightsBin);
  try {
    const tfjs = compactBagNetwork(network, { typedArrayHead: false });
    const sequences = encodeCompact(texts, files.vocabulary, files.metadata.preprocessing);
    return tf.tidy(() => tfjs?.predict(sequences).dataSync() as Float32Array);
  } finally {
    network.dispose();
  }
}

function maxDifference(a: readonly number[], b: Float32Array): number {
  expect(a).toHaveLength(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number))));
}

async function servedProbabilities(dir: string, texts: readonly string[]): Promise<number[]> {
  const model = await loadSentimentModel(dir, { backend: "wasm" });
  try {
    return (await model.predict(texts)).flatMap(({ probabilities: p }) => [
      p.negative,
      p.neutral,
      p.positive,
    ]);
  } finally {
    model.dispose();
  }
}

describe("a TF-IDF model folder", () => {
  it("is served by the typed-array head exactly as the TF.js network computes it", async () => {
    const dir = join(root, "tfidf");
    await writeThreeClassModel(dir, { weighting: "tfidf" });
    const expected = await tfjsProbabilities(dir, TEXTS);
    const served = await servedProbabilities(dir, TEXTS);
    expect(served).toHaveLength(TEXTS.length * 3);
    expect(maxDifference(served, expected)).toBeLessThan(1e-6);
    const argmax = [0, 1, 2].map((row) =>
      [0, 1, 2].reduce(
        (best, k) =>
          (served[row * 3 + k] as number) > (served[row * 3 + best] as number) ? k : best,
        0,
      ),
    );
    expect(argmax).toEqual([2, 0, 1]);
  });

  it("weighs features with the idf read from its vocab.json", async () => {
    const dir = join(root, "tfidf-edited");
    await writeThreeClassModel(dir, { weighting: "tfidf" });
    const before = await servedProbabilities(dir, TEXTS);
    const path = join(dir, "vocab.json");
    const vocab = JSON.parse(await readFile(path, "utf8"));
    // Make "love" (id 1) dominate: texts with it lean further positive.
    vocab.idf[0] = 50;
    await writeFile(path, JSON.stringify(vocab));
    const after = await servedProbabilities(dir, TEXTS);
    expect(after[2] as number).toBeGreaterThan((before[2] as number) + 0.01);
    expect(after.slice(3, 6)).toEqual(before.slice(3, 6)); // no "love": unchanged
    const expected = await tfjsProbabilities(dir, TEXTS);
    expect(maxDifference(after, expected)).toBeLessThan(1e-6);
  });

  it("is refused at load when its idf has more or fewer values than its vocabulary", async () => {
    const dir = join(root, "tfidf-short");
    await writeThreeClassModel(dir, { weighting: "tfidf" });
    const path = join(dir, "vocab.json");
    const vocab = JSON.parse(await readFile(path, "utf8"));
    vocab.idf.pop();
    await writeFile(path, JSON.stringify(vocab));
    const error = await loadSentimentModel(dir, { backend: "wasm" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ code: "model_files_invalid" });
    expect(String((error as Error & { cause?: unknown }).cause)).toMatch(
      /idf must have one value per feature/,
    );
  });

  it("is refused at load when its vocab.json has no idf", async () => {
    const dir = join(root, "tfidf-without-idf");
    await writeThreeClassModel(dir, { weighting: "tfidf-without-idf" });
    const error = await loadSentimentModel(dir, { backend: "wasm" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/TF-IDF weighting but vocab.json has no idf/);
  });

  it("an averaging folder whose vocab.json carries idf is refused at load", async () => {
    const dir = join(root, "average-with-idf");
    await writeThreeClassModel(dir, { weighting: "average-with-idf" });
    const error = await loadSentimentModel(dir, { backend: "wasm" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(/weighting is not TF-IDF/);
  });
});
