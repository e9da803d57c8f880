// Small 3-class model folders built from code, in the format the trainer writes: a TF.js layers
// network Embedding -> GlobalAveragePooling1D -> Dense* -> Dense(3, softmax), vocab.json with
// word and character-segment features, metadata.json with `classes`. Seeded, so every build is
// the same. Also builds folders whose metadata does not match their network.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "../../src/model/backend.js";
import { mulberry32 } from "../../src/model/bag-of-embeddings.js";
import type { SentimentLabel } from "../../src/model/labels.js";
import type { ModelMetadata } from "../../src/model/metadata.js";
import { DEFAULT_THRESHOLDS } from "../../src/model/metadata.js";
import { writeModelDirectory } from "../../src/model/model-directory.js";
import {
  charSegmentFeatures,
  DEFAULT_PREPROCESS_SETTINGS,
  extractFeatures,
  inputLength,
  type PreprocessSettings,
  tokenize,
} from "../../src/model/preprocess.js";
import { serializeNetwork } from "../../src/model/tfjs-network.js";
import { Vocabulary } from "../../src/model/vocabulary.js";

export const FIXTURE_POSITIVE_WORDS = ["love", "great", "happy", "awesome", "thanks", "best"];
export const FIXTURE_NEGATIVE_WORDS = ["hate", "awful", "sad", "terrible", "worst", "sick"];
const FILLER_WORDS = ["the", "train", "leaves", "at", "today", "my", "phone", "meeting", "is"];

/** The preprocessing of the shipped model: words and bigrams plus a character segment. */
const SETTINGS: PreprocessSettings = {
  ...DEFAULT_PREPROCESS_SETTINGS,
  sequenceLength: 16,
  charSegment: { minN: 2, maxN: 3, sequenceLength: 48 },
};

export interface ThreeClassFixtureOptions {
  /** metadata.json `classes` (default NEGATIVE, NEUTRAL, POSITIVE); null leaves them out. */
  classes?: SentimentLabel[] | null;
  /** Output units of the network (default 3). */
  outputUnits?: number;
  /** Final activation (default softmax; sigmoid for a 1-unit network). */
  activation?: "softmax" | "sigmoid" | "linear";
  /** A hidden Dense(relu) layer of this many units before the output (default none). */
  hidden?: number;
  version?: string;
  seed?: number;
  /**
   * "tfidf": TF-IDF weighting with seeded idf values in vocab.json; "tfidf-without-idf" and
   * "average-with-idf" write folders whose vocab.json does not fit their metadata (default average).
   */
  weighting?: "average" | "tfidf" | "tfidf-without-idf" | "average-with-idf";
}

/**
 * Writes a 3-class model folder to `dir`. Its embedding puts positive words on the positive
 * unit and negative words on the negative one, neutral has a small bias, and every feature adds
 * seeded noise, so the model gives all three labels with every kind of margin.
 */
export async function writeThreeClassModel(
  dir: string,
  options: ThreeClassFixtureOptions = {},
): Promise<void> {
  // Building needs an initialised backend; keep the one a test already chose.
  await tf.ready();
  const random = mulberry32(options.seed ?? 12);
  const words = [...FIXTURE_POSITIVE_WORDS, ...FIXTURE_NEGATIVE_WORDS, ...FILLER_WORDS];
  const bigrams = ["love it", "hate it", "so sad", "the best"];
  const charGrams = [
    ...new Set(charSegmentFeatures(tokenize(words.join(" "), SETTINGS), { minN: 2, maxN: 3 })),
  ].sort();
  const plain = new Vocabulary([...words, ...bigrams], charGrams);
  const weighting = options.weighting ?? "average";
  const vocabulary =
    weighting === "tfidf" || weighting === "average-with-idf"
      ? plain.withIdf(
          Array.from({ length: plain.size - 1 }, () => 1 + Math.round(random() * 3000) / 1000),
        )
      : plain;
  const dim = 3;
  const units = options.outputUnits ?? 3;
  const embedding = new Float32Array(vocabulary.size * dim); // row 0 (padding) stays zero
  for (let row = 1; row < vocabulary.size; row++) {
    for (let d = 0; d < dim; d++) embedding[row * dim + d] = (random() - 0.5) * 1.5;
  }
  const push = (feature: string, axis: number, amount: number) => {
    const id = vocabulary.idOf(feature);
    if (id !== undefined)
      embedding[id * dim + axis] = (embedding[id * dim + axis] as number) + amount;
  };
  for (const word of FIXTURE_POSITIVE_WORDS) push(word, 2, 6);
  for (const word of FIXTURE_NEGATIVE_WORDS) push(word, 0, 6);
  for (const word of FILLER_WORDS) push(word, 1, 2);

  const network = tfl.sequential({ name: "three_class_fixture" });
  network.add(
    tfl.layers.embedding({
      inputDim: vocabulary.size,
      outputDim: dim,
      inputLength: inputLength(SETTINGS),
      name: "embedding",
    }),
  );
  network.add(tfl.layers.globalAveragePooling1d({ name: "average" }));
  const weights: tf.Tensor[] = [tf.tensor2d(embedding, [vocabulary.size, dim])];
  let width = dim;
  if (options.hidden !== undefined) {
    network.add(tfl.layers.dense({ units: options.hidden, activation: "relu", name: "hidden" }));
    // Identity-like first block keeps the sentiment axes readable through the hidden layer.
    const kernel = new Float32Array(dim * options.hidden);
    for (let i = 0; i < dim * options.hidden; i++) kernel[i] = (random() - 0.5) * 0.2;
    for (let d = 0; d < Math.min(dim, options.hidden); d++) kernel[d * options.hidden + d] = 1;
    weights.push(tf.tensor2d(kernel, [dim, options.hidden]), tf.zeros([options.hidden]));
    width = options.hidden;
  }
  const activation = options.activation ?? (units === 1 ? "sigmoid" : "softmax");
  network.add(tfl.layers.dense({ units, activation, name: "output" }));
  const kernel = new Float32Array(width * units);
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < units; j++) kernel[i * units + j] = i === j ? 3 : (random() - 0.5) * 0.3;
  }
  const bias = new Float32Array(units);
  if (units === 3) bias[1] = 0.4;
  weights.push(tf.tensor2d(kernel, [width, units]), tf.tensor1d(bias));
  try {
    network.setWeights(weights);
  } finally {
    for (const t of weights) t.dispose();
  }
  const saved = await serializeNetwork(network);
  network.dispose();

  const metadata: ModelMetadata = {
    name: "three-class-fixture",
    version: options.version ?? "0.0.1",
    created: new Date(0).toISOString(),
    description: "seeded 3-class model for tests",
    architecture: "bag-of-embeddings, 3-class softmax",
    vocabularySize: vocabulary.size,
    data: [],
    preprocessing: {
      ...SETTINGS,
      weighting: weighting === "tfidf" || weighting === "tfidf-without-idf" ? "tfidf" : "average",
    },
    hyperParameters: { dim, seed: options.seed ?? 12 },
    thresholds: DEFAULT_THRESHOLDS,
    ...(options.classes === null
      ? {}
      : { classes: options.classes ?? ["NEGATIVE", "NEUTRAL", "POSITIVE"] }),
    training: { epochsRun: 0, bestEpoch: 0, seconds: 0, trainRows: 0, validationRows: 0 },
    metrics: {},
  };
  await writeModelDirectory(dir, { metadata, vocabulary, network: saved });
}

/** The features a text gives the fixture model (for choosing test texts). */
export function fixtureFeatures(text: string): string[] {
  return extractFeatures(text, SETTINGS);
}
