import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { BagOfEmbeddingsWeights } from "./bag-of-embeddings.js";
import type { SoftmaxBagWeights } from "./softmax-bag.js";

/** The files of a saved TensorFlow.js LayersModel. */
export interface SavedNetwork {
  /** Contents of model.json (weightsManifest points at weights.bin). */
  modelJson: Record<string, unknown>;
  weightsBin: Uint8Array;
}

export const WEIGHTS_FILE = "weights.bin";

/** Builds the TensorFlow.js model that computes exactly what the typed-array network computes. */
export function buildNetwork(w: BagOfEmbeddingsWeights, sequenceLength: number): tfl.LayersModel {
  const model = tfl.sequential({ name: "bag_of_embeddings" });
  model.add(
    tfl.layers.embedding({
      inputDim: w.vocabSize,
      outputDim: w.dim,
      inputLength: sequenceLength,
      name: "embedding",
    }),
  );
  model.add(tfl.layers.globalAveragePooling1d({ name: "average" }));
  if (w.hidden > 0) {
    model.add(tfl.layers.dense({ units: w.hidden, activation: "relu", name: "hidden" }));
  }
  model.add(tfl.layers.dense({ units: 1, activation: "sigmoid", name: "output" }));

  const values: tf.Tensor[] = [tf.tensor2d(w.embedding, [w.vocabSize, w.dim])];
  if (w.hidden > 0) {
    values.push(tf.tensor2d(w.hiddenKernel, [w.dim, w.hidden]), tf.tensor1d(w.hiddenBias));
  }
  values.push(
    tf.tensor2d(w.outputKernel, [w.hidden > 0 ? w.hidden : w.dim, 1]),
    tf.tensor1d(w.outputBias),
  );
  try {
    model.setWeights(values);
  } finally {
    for (const t of values) t.dispose();
  }
  return model;
}

/**
 * The TensorFlow.js model of a three-way bag (softmax-bag.ts): Embedding(vocab, 3) ->
 * GlobalAveragePooling1D -> Dense(3, softmax) with an identity kernel and the trained bias, so
 * the probabilities are exactly the typed-array network's (outputs in CLASS_ORDER).
 */
export function buildSoftmaxNetwork(w: SoftmaxBagWeights, sequenceLength: number): tfl.LayersModel {
  const model = tfl.sequential({ name: "bag_of_embeddings_3class" });
  model.add(
    tfl.layers.embedding({
      inputDim: w.vocabSize,
      outputDim: 3,
      inputLength: sequenceLength,
      name: "embedding",
    }),
  );
  model.add(tfl.layers.globalAveragePooling1d({ name: "average" }));
  model.add(tfl.layers.dense({ units: 3, activation: "softmax", name: "output" }));
  const values: tf.Tensor[] = [
    tf.tensor2d(w.embedding, [w.vocabSize, 3]),
    tf.eye(3),
    tf.tensor1d(w.bias),
  ];
  try {
    model.setWeights(values);
  } finally {
    for (const t of values) t.dispose();
  }
  return model;
}

/** Serialises a LayersModel in memory (plain tfjs has no file:// handler). */
export async function serializeNetwork(model: tfl.LayersModel): Promise<SavedNetwork> {
  let saved: SavedNetwork | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      if (data === undefined || artifacts.weightSpecs === undefined) {
        throw new Error("model has no weights to save");
      }
      const buffer = tf.io.concatenateArrayBuffers(Array.isArray(data) ? data : [data]);
      saved = {
        modelJson: {
          format: artifacts.format ?? "layers-model",
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
        },
        weightsBin: new Uint8Array(buffer),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (saved === undefined) throw new Error("save handler was not called");
  return saved;
}

/** Builds a LayersModel from the contents of model.json and weights.bin. */
export async function deserializeNetwork(
  modelJson: unknown,
  weightsBin: Uint8Array,
): Promise<tfl.LayersModel> {
  const json = modelJson as {
    modelTopology?: object;
    weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new Error("model.json lacks modelTopology or weightsManifest");
  }
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  // Copy into a fresh ArrayBuffer: a Node Buffer may be a view into a shared pool.
  const weightData = weightsBin.slice().buffer;
  return await tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }),
  );
}
