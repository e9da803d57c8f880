import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { BackendChoice } from "./backend.js";
import { selectBackend } from "./backend.js";
import { type CompactBagNetwork, compactBagNetwork } from "./compact-bag-network.js";
import type { ClassProbabilities, LabelRule, SentimentLabel } from "./labels.js";
import {
  labelForProbabilities,
  labelForScore,
  normaliseProbabilities,
  probabilitiesOfBinaryScore,
  SENTIMENT_LABELS,
  scoreOfProbabilities,
} from "./labels.js";
import type { ModelMetadata, Thresholds } from "./metadata.js";
import { ThresholdsSchema } from "./metadata.js";
import { ModelLoadError, readModelDirectory } from "./model-directory.js";
import { inputLength } from "./preprocess.js";
import { deserializeNetwork } from "./tfjs-network.js";
import type { Vocabulary } from "./vocabulary.js";
import { encodeCompact, encodeTexts } from "./vocabulary.js";

export type { ClassProbabilities, LabelRule, SentimentLabel } from "./labels.js";
export type { ModelMetadata } from "./metadata.js";
export { ModelLoadError } from "./model-directory.js";

export interface Prediction {
  label: SentimentLabel;
  /** P(positive) in [0, 1]: for a 3-class model, positive / (positive + negative). */
  score: number;
  /** Sum to 1. A binary model has no neutral class: neutral 0, positive = score. */
  probabilities: ClassProbabilities;
}

export interface SentimentModel {
  readonly metadata: ModelMetadata;
  /** TensorFlow.js backend the model runs on ("tensorflow", "wasm" or "cpu"). */
  readonly backend: string;
  /** The rule labels come from: always `thresholds` for a binary (legacy) model folder. */
  readonly labelRule: LabelRule;
  /** The thresholds in use (the `thresholds` rule's cut points). */
  readonly thresholds: Thresholds;
  predict(texts: readonly string[]): Promise<Prediction[]>;
  dispose(): void;
}

export interface LoadOptions {
  backend?: BackendChoice;
  /** Overrides the thresholds recorded in metadata.json. */
  thresholds?: Thresholds;
  /** The label rule for a 3-class model (default `model`); a binary model always uses thresholds. */
  labelRule?: LabelRule;
}

export class InvalidInputError extends Error {
  readonly code = "invalid_input";
  constructor(message: string) {
    super(message);
    this.name = "InvalidInputError";
  }
}

export class ModelDisposedError extends Error {
  readonly code = "model_disposed";
  constructor() {
    super("the model was disposed");
    this.name = "ModelDisposedError";
  }
}

class LoadedSentimentModel implements SentimentModel {
  #network: LayersModel | undefined;
  /** The same network on compact sequences, when it is a plain bag of embeddings. */
  readonly #compact: CompactBagNetwork | undefined;

  constructor(
    readonly metadata: ModelMetadata,
    readonly backend: string,
    network: LayersModel,
    /** The same network on compact sequences, or undefined (see compactBagNetwork). */
    compact: CompactBagNetwork | undefined,
    private readonly vocabulary: Vocabulary,
    readonly thresholds: Thresholds,
    readonly labelRule: LabelRule,
    /** For a 3-class model, the output column of NEGATIVE, NEUTRAL and POSITIVE; else undefined. */
    private readonly classColumns: readonly [number, number, number] | undefined,
  ) {
    this.#network = network;
    this.#compact = compact;
  }

  async predict(texts: readonly string[]): Promise<Prediction[]> {
    const network = this.#network;
    if (network === undefined) throw new ModelDisposedError();
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) {
      throw new InvalidInputError("predict expects an array of strings");
    }
    if (texts.length === 0) return [];
    const settings = this.metadata.preprocessing;
    const compact = this.#compact;
    const output =
      compact === undefined
        ? tf.tidy(() => {
            const ids = encodeTexts(texts, this.vocabulary, settings);
            const input = tf.tensor2d(ids, [texts.length, inputLength(settings)], "int32");
            // predictOnBatch: the caller already chose the batch; predict() would re-split it
            // into slices of 32 and concatenate them (about 25% slower at 64 texts, WASM).
            return network.predictOnBatch(input) as tf.Tensor;
          })
        : compact.predict(encodeCompact(texts, this.vocabulary, settings));
    let values: Float32Array;
    try {
      values = (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
    const columns = this.classColumns;
    return columns === undefined
      ? Array.from(values, (raw) => this.binaryPrediction(raw))
      : Array.from({ length: texts.length }, (_, row) => {
          const at = row * 3;
          return this.threeClassPrediction(
            normaliseProbabilities(
              values[at + columns[0]] as number,
              values[at + columns[1]] as number,
              values[at + columns[2]] as number,
            ),
          );
        });
  }

  private binaryPrediction(raw: number): Prediction {
    // Guard against NaN from a corrupt model: a neutral 0.5 rather than an invalid number.
    const score = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0.5;
    return {
      label: labelForScore(score, this.thresholds),
      score,
      probabilities: probabilitiesOfBinaryScore(score),
    };
  }

  private threeClassPrediction(probabilities: ClassProbabilities): Prediction {
    const score = scoreOfProbabilities(probabilities);
    const label =
      this.labelRule === "model"
        ? labelForProbabilities(probabilities)
        : labelForScore(score, this.thresholds);
    return { label, score, probabilities };
  }

  dispose(): void {
    this.#network?.dispose();
    this.#network = undefined;
  }
}

/**
 * Loads a model directory (model.json, weights.bin, vocab.json, metadata.json) after activating
 * a TensorFlow.js backend (tfjs-node, else WASM, else CPU unless `options.backend` says otherwise).
 */
export async function loadSentimentModel(
  dir: string,
  options: LoadOptions = {},
): Promise<SentimentModel> {
  const thresholds =
    options.thresholds === undefined ? undefined : ThresholdsSchema.parse(options.thresholds);
  const backend = await selectBackend(options.backend ?? "auto");
  const files = await readModelDirectory(dir);
  // Checked before the network is built, so a mismatch neither builds nor leaks one.
  if (files.metadata.vocabularySize !== files.vocabulary.size) {
    throw new ModelLoadError(
      "model_files_invalid",
      `vocab.json has ${files.vocabulary.size} rows, metadata.json says ${files.metadata.vocabularySize}`,
    );
  }
  let network: LayersModel;
  try {
    network = await deserializeNetwork(files.network.modelJson, files.network.weightsBin);
  } catch (cause) {
    throw new ModelLoadError("model_files_invalid", "cannot build the network from model.json", {
      cause,
    });
  }
  const length = inputLength(files.metadata.preprocessing);
  const shape = network.inputs[0]?.shape;
  if (shape === undefined || shape.length !== 2 || shape[1] !== length) {
    network.dispose();
    throw new ModelLoadError(
      "model_files_invalid",
      `network input shape ${JSON.stringify(shape)} does not match the ${length} ids per text of metadata.json's preprocessing`,
    );
  }
  let classColumns: readonly [number, number, number] | undefined;
  // Built once: it copies the embedding table out of the backend.
  const compact = compactBagNetwork(network);
  try {
    classColumns = checkOutputs(files.metadata, network);
    checkWeighting(files.metadata, files.vocabulary, compact);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return new LoadedSentimentModel(
    files.metadata,
    backend,
    network,
    compact,
    files.vocabulary,
    thresholds ?? files.metadata.thresholds,
    classColumns === undefined ? "thresholds" : (options.labelRule ?? "model"),
    classColumns,
  );
}

/**
 * A TF-IDF model needs its vocabulary's idf, and a network that runs on compact sequences (its
 * weights have no padded id row form); an averaging model must not carry idf it would ignore.
 */
function checkWeighting(
  metadata: ModelMetadata,
  vocabulary: Vocabulary,
  compact: CompactBagNetwork | undefined,
) {
  const tfidf = metadata.preprocessing.weighting === "tfidf";
  if (tfidf && vocabulary.idf === undefined) {
    throw new ModelLoadError(
      "model_files_invalid",
      "metadata.json says TF-IDF weighting but vocab.json has no idf",
    );
  }
  if (!tfidf && vocabulary.idf !== undefined) {
    throw new ModelLoadError(
      "model_files_invalid",
      "vocab.json has idf but metadata.json's weighting is not TF-IDF",
    );
  }
  if (tfidf && compact === undefined) {
    throw new ModelLoadError(
      "model_files_invalid",
      "a TF-IDF model's network must be a plain bag of embeddings (Embedding -> pooling -> Dense)",
    );
  }
}

/**
 * Checks that the network's output matches metadata.json: one sigmoid unit without `classes`
 * (a binary folder), one softmax unit per class with them. Returns the output column of each
 * label for a 3-class network.
 */
function checkOutputs(
  metadata: ModelMetadata,
  network: LayersModel,
): readonly [number, number, number] | undefined {
  const shape = network.outputs[0]?.shape;
  const units = network.outputs.length === 1 && shape?.length === 2 ? shape[1] : undefined;
  const last = network.layers.at(-1)?.getConfig() as { activation?: unknown } | undefined;
  const activation = typeof last?.activation === "string" ? last.activation : undefined;
  const classes = metadata.classes;
  const mismatch = (message: string) => new ModelLoadError("model_files_invalid", message);
  if (classes === undefined) {
    if (units !== 1) {
      throw mismatch(
        `metadata.json has no classes (a binary model) but the network has ${units ?? "no single"} output units; a 3-class model needs classes in metadata.json`,
      );
    }
    if (activation !== undefined && activation !== "sigmoid") {
      throw mismatch(`a binary model's output must be a sigmoid, not ${activation}`);
    }
    return undefined;
  }
  if (classes.length !== SENTIMENT_LABELS.length || new Set(classes).size !== classes.length) {
    throw mismatch(
      `metadata.json classes must list NEGATIVE, NEUTRAL and POSITIVE once each, not ${JSON.stringify(classes)}`,
    );
  }
  if (units !== classes.length) {
    throw mismatch(
      `metadata.json lists ${classes.length} classes but the network has ${units ?? "no single"} output units`,
    );
  }
  if (activation !== undefined && activation !== "softmax") {
    throw mismatch(`a 3-class model's output must be a softmax, not ${activation}`);
  }
  const column = (label: SentimentLabel) => classes.indexOf(label);
  return [column("NEGATIVE"), column("NEUTRAL"), column("POSITIVE")];
}
