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
export function compactBagNetwork(
  network: LayersModel,
  /** false: run a one-layer head with TF.js ops too (to check the typed-array head against). */
  options: { typedArrayHead?: boolean } = {},
): CompactBagNetwork | undefined {
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
  const [only, ...rest] = head;
  if (only !== undefined && rest.length === 0 && options.typedArrayHead !== false) {
    const typed = typedArrayHead(embedding, only);
    if (typed !== undefined) return typed;
  }

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

type Activation = "sigmoid" | "softmax" | "linear";

/**
 * One Dense layer on the pooled embedding, computed in plain JavaScript over the weights' typed
 * arrays: a text's few dozen ids cost a few multiply-adds each, where TF.js pays a Gather, a Mul,
 * a Sum and a MatMul per batch, each with its tensor set-up (measured with npm run bench:model).
 * Sums run in float64, so results equal the network's up to float32 rounding.
 */
function typedArrayHead(
  embedding: tf.Tensor,
  dense: LayersModel["layers"][number],
): CompactBagNetwork | undefined {
  const activation = dense.getConfig().activation as string | undefined;
  if (activation !== "sigmoid" && activation !== "softmax" && activation !== "linear") {
    return undefined;
  }
  const [kernel, bias] = dense.getWeights();
  if (kernel === undefined || kernel.rank !== 2) return undefined;
  const dim = embedding.shape[1] as number;
  const units = kernel.shape[1] as number;
  if (kernel.shape[0] !== dim) return undefined;
  const table = embedding.dataSync() as Float32Array;
  const weights = kernel.dataSync() as Float32Array;
  const offsets = bias === undefined ? new Float32Array(units) : (bias.dataSync() as Float32Array);
  return {
    predict(sequences: CompactSequences): tf.Tensor {
      const rows = sequences.offsets.length - 1;
      const output = new Float32Array(rows * units);
      const pooled = new Float64Array(dim);
      const logits = new Float64Array(units);
      for (let row = 0; row < rows; row++) {
        pooled.fill(0);
        const to = sequences.offsets[row + 1] as number;
        for (let at = sequences.offsets[row] as number; at < to; at++) {
          const base = (sequences.ids[at] as number) * dim;
          const share = sequences.shares[at] as number;
          for (let d = 0; d < dim; d++)
            pooled[d] = (pooled[d] as number) + share * (table[base + d] as number);
        }
        for (let u = 0; u < units; u++) {
          let sum = offsets[u] as number;
          for (let d = 0; d < dim; d++)
            sum += (pooled[d] as number) * (weights[d * units + u] as number);
          logits[u] = sum;
        }
        activate(activation, logits, output.subarray(row * units, (row + 1) * units));
      }
      return tf.tensor2d(output, [rows, units]);
    },
  };
}

function activate(activation: Activation, logits: Float64Array, out: Float32Array): void {
  if (activation === "linear") {
    out.set(logits);
  } else if (activation === "sigmoid") {
    for (let u = 0; u < logits.length; u++) {
      const x = logits[u] as number;
      out[u] = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
  } else {
    let max = -Infinity;
    for (const x of logits) max = Math.max(max, x);
    let total = 0;
    for (let u = 0; u < logits.length; u++) total += Math.exp((logits[u] as number) - max);
    for (let u = 0; u < logits.length; u++) out[u] = Math.exp((logits[u] as number) - max) / total;
  }
}
