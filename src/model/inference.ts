import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { BackendChoice } from "./backend.js";
import { selectBackend } from "./backend.js";
import { type CompactBagNetwork, compactBagNetwork } from "./compact-bag-network.js";
import type { SentimentLabel } from "./labels.js";
import { labelForScore } from "./labels.js";
import type { ModelMetadata, Thresholds } from "./metadata.js";
import { ThresholdsSchema } from "./metadata.js";
import { ModelLoadError, readModelDirectory } from "./model-directory.js";
import { inputLength } from "./preprocess.js";
import { deserializeNetwork } from "./tfjs-network.js";
import type { Vocabulary } from "./vocabulary.js";
import { encodeCompact, encodeTexts } from "./vocabulary.js";

export type { SentimentLabel } from "./labels.js";
export type { ModelMetadata } from "./metadata.js";
export { ModelLoadError } from "./model-directory.js";

export interface Prediction {
  label: SentimentLabel;
  /** P(positive) in [0, 1]. */
  score: number;
}

export interface SentimentModel {
  readonly metadata: ModelMetadata;
  /** TensorFlow.js backend the model runs on ("tensorflow", "wasm" or "cpu"). */
  readonly backend: string;
  predict(texts: readonly string[]): Promise<Prediction[]>;
  dispose(): void;
}

export interface LoadOptions {
  backend?: BackendChoice;
  /** Overrides the thresholds recorded in metadata.json. */
  thresholds?: Thresholds;
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
    private readonly vocabulary: Vocabulary,
    private readonly thresholds: Thresholds,
  ) {
    this.#network = network;
    this.#compact = compactBagNetwork(network);
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
    let scores: Float32Array;
    try {
      scores = (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
    return Array.from(scores, (raw) => {
      // Guard against NaN from a corrupt model: a neutral 0.5 rather than an invalid number.
      const score = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0.5;
      return { label: labelForScore(score, this.thresholds), score };
    });
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
  return new LoadedSentimentModel(
    files.metadata,
    backend,
    network,
    files.vocabulary,
    thresholds ?? files.metadata.thresholds,
  );
}
