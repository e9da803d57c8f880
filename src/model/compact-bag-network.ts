import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { CompactSequences } from "./bag-of-embeddings.js";

/**
 * A bag-of-embeddings network (Embedding -> GlobalAveragePooling1D -> Dense layers) run on
 * compact sequences instead of full id rows: it gathers each text's ids once, weighted by their
 * shares of the row, where the layers model gathers every padded position (576 per text for the
 * shipped model; WASM's Gather costs about 45 ns an element). The head layers are the network's
 * own, so the results are the model's up to float rounding.
 */
export interface CompactBagNetwork {
  /** The network's output for each sequence: a [sequences, units] tensor the caller disposes. */
  predict(sequences: CompactSequences): tf.Tensor;
}

/**
 * The compact form of `network`, or undefined if it is not a plain bag of embeddings (then the
 * caller runs the layers model itself). The padding row must be zero: compact sequences leave it out.
 */
export function compactBagNetwork(network: LayersModel): CompactBagNetwork | undefined {
  const layers = network.layers.filter((layer) => layer.getClassName() !== "InputLayer");
  const [embeddingLayer, pooling, ...head] = layers;
  if (
    embeddingLayer?.getClassName() !== "Embedding" ||
    embeddingLayer.getConfig().maskZero === true ||
    pooling?.getClassName() !== "GlobalAveragePooling1D" ||
    head.length === 0 ||
    head.some((layer) => layer.getClassName() !== "Dense")
  ) {
    return undefined;
  }
  const embedding = embeddingLayer.getWeights()[0];
  if (embedding === undefined || embedding.rank !== 2) return undefined;
  const dim = embedding.shape[1] as number;
  const paddingRow = tf.tidy(() => tf.slice(embedding, [0, 0], [1, dim]).dataSync());
  if (paddingRow.some((value) => value !== 0)) return undefined;

  return {
    predict(sequences: CompactSequences): tf.Tensor {
      const { offsets } = sequences;
      const rows = offsets.length - 1;
      // Rows are padded to the longest with id 0 (the zero row) at share 0.
      let width = 1;
      for (let i = 0; i < rows; i++) {
        width = Math.max(width, (offsets[i + 1] as number) - (offsets[i] as number));
      }
      const ids = new Int32Array(rows * width);
      const shares = new Float32Array(rows * width);
      for (let i = 0; i < rows; i++) {
        const from = offsets[i] as number;
        const to = offsets[i + 1] as number;
        ids.set(sequences.ids.subarray(from, to), i * width);
        shares.set(sequences.shares.subarray(from, to), i * width);
      }
      return tf.tidy(() => {
        const gathered = tf.gather(embedding, tf.tensor1d(ids, "int32"));
        const weighted = tf.mul(gathered, tf.tensor2d(shares, [rows * width, 1]));
        let output = tf.sum(tf.reshape(weighted, [rows, width, dim]), 1);
        for (const layer of head) output = layer.apply(output) as tf.Tensor2D;
        return output;
      });
    },
  };
}
