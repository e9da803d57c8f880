import type { BagOfEmbeddingsWeights, ForwardState } from "./bag-of-embeddings.js";
import {
  compactSequences,
  createForwardState,
  forwardCompact,
  initWeights,
  mulberry32,
  predictCompact,
  shuffleInPlace,
} from "./bag-of-embeddings.js";

/** Encoded examples: ids is row-major [n, sequenceLength]; targets in [0, 1]. */
export interface EncodedExamples {
  ids: Int32Array;
  targets: Float32Array;
  /** Per-example loss weights (default 1). */
  weights?: Float32Array;
  sequenceLength: number;
}

export interface TrainingOptions {
  vocabSize: number;
  dim: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Multiplies the learning rate after every epoch. */
  learningRateDecay: number;
  /** L2 penalty on the rows of the embedding used by a batch (lazy weight decay). */
  embeddingL2: number;
  /** Probability of replacing each input position by a random other one (feature dropout). */
  positionDropout: number;
  /** Stop after this many validation checks without a better validation loss. */
  patience: number;
  /** Validation checks per epoch (early stopping can then pick a point inside an epoch). */
  checksPerEpoch?: number;
  /**
   * Per-step decay of an exponential moving average of the weights (0 = off). When on, the
   * averaged weights are validated and returned (Polyak averaging smooths the noisy updates).
   */
  averageDecay?: number;
  seed: number;
}

export interface EpochProgress {
  epoch: number;
  /** Examples seen in the current epoch so far. */
  seen: number;
  total: number;
  loss: number;
  accuracy: number;
}

export interface EpochResult {
  /** Epochs completed at this check (fractional when checking several times per epoch). */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validationLoss: number;
  validationAccuracy: number;
}

export interface TrainingResult {
  weights: BagOfEmbeddingsWeights;
  history: EpochResult[];
  bestEpoch: number;
}

export interface TrainingCallbacks {
  onBatch?: (p: EpochProgress) => void;
  onEpoch?: (r: EpochResult) => void;
}

/** Mean binary cross-entropy and accuracy (cut at 0.5) of scores against targets. */
export function lossAndAccuracy(
  scores: Float32Array,
  targets: Float32Array,
): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(Math.max(scores[i] as number, 1e-7), 1 - 1e-7);
    const y = targets[i] as number;
    loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    if (p >= 0.5 === y >= 0.5) correct++;
  }
  return {
    loss: loss / Math.max(1, scores.length),
    accuracy: correct / Math.max(1, scores.length),
  };
}

function cloneWeights(w: BagOfEmbeddingsWeights): BagOfEmbeddingsWeights {
  return {
    ...w,
    embedding: w.embedding.slice(),
    hiddenKernel: w.hiddenKernel.slice(),
    hiddenBias: w.hiddenBias.slice(),
    outputKernel: w.outputKernel.slice(),
    outputBias: w.outputBias.slice(),
  };
}

/**
 * Exponential moving average of the weights, updated lazily for embedding rows: a row that no
 * batch touched kept a constant value, so its average can be caught up in closed form.
 */
class WeightAverage {
  readonly average: BagOfEmbeddingsWeights;
  readonly #lastStep: Uint32Array;

  constructor(
    w: BagOfEmbeddingsWeights,
    readonly decay: number,
  ) {
    this.average = cloneWeights(w);
    this.#lastStep = new Uint32Array(w.vocabSize);
  }

  #catchUp(w: BagOfEmbeddingsWeights, id: number, upTo: number): void {
    const gap = upTo - (this.#lastStep[id] as number);
    if (gap <= 0) return;
    const keep = this.decay ** gap;
    const { dim } = w;
    const a = this.average.embedding;
    for (let j = id * dim; j < (id + 1) * dim; j++) {
      a[j] = keep * (a[j] as number) + (1 - keep) * (w.embedding[j] as number);
    }
    this.#lastStep[id] = upTo;
  }

  /** Call before updating row `id` at `step` (1-based). */
  beforeRow(w: BagOfEmbeddingsWeights, id: number, step: number): void {
    this.#catchUp(w, id, step - 1);
  }

  /** Call after updating row `id` at `step`. */
  afterRow(w: BagOfEmbeddingsWeights, id: number, step: number): void {
    this.#catchUp(w, id, step);
  }

  /** Call after the dense layers were updated. */
  afterDense(w: BagOfEmbeddingsWeights): void {
    const d = this.decay;
    const mix = (avg: Float32Array, cur: Float32Array) => {
      for (let i = 0; i < avg.length; i++)
        avg[i] = d * (avg[i] as number) + (1 - d) * (cur[i] as number);
    };
    mix(this.average.hiddenKernel, w.hiddenKernel);
    mix(this.average.hiddenBias, w.hiddenBias);
    mix(this.average.outputKernel, w.outputKernel);
    mix(this.average.outputBias, w.outputBias);
  }

  /** The average at `step`, all rows caught up. */
  snapshot(w: BagOfEmbeddingsWeights, step: number): BagOfEmbeddingsWeights {
    for (let id = 1; id < w.vocabSize; id++) this.#catchUp(w, id, step);
    return this.average;
  }
}

/** Adam state of one dense parameter array. */
class AdamSlot {
  readonly m: Float32Array;
  readonly v: Float32Array;
  constructor(size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

function adamUpdate(
  param: Float32Array,
  grad: Float32Array,
  slot: AdamSlot,
  from: number,
  to: number,
  stepSize: number,
): void {
  const { m, v } = slot;
  for (let i = from; i < to; i++) {
    const g = grad[i] as number;
    const mi = BETA1 * (m[i] as number) + (1 - BETA1) * g;
    const vi = BETA2 * (v[i] as number) + (1 - BETA2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = (param[i] as number) - (stepSize * mi) / (Math.sqrt(vi) + EPSILON);
  }
}

/**
 * Trains the bag-of-embeddings network with mini-batch Adam (lazy, sparse updates for the
 * embedding rows a batch touches), seeded shuffling and early stopping on validation loss.
 * Returns the weights of the best validation epoch.
 */
export function trainBagOfEmbeddings(
  train: EncodedExamples,
  validation: EncodedExamples,
  options: TrainingOptions,
  callbacks: TrainingCallbacks = {},
): TrainingResult {
  const L = train.sequenceLength;
  const n = train.targets.length;
  const random = mulberry32(options.seed);
  const w = initWeights(options.vocabSize, options.dim, options.hidden, random);
  const { dim, hidden } = w;
  const outIn = hidden > 0 ? hidden : dim;

  const gEmbedding = new Float32Array(w.embedding.length);
  const gHiddenKernel = new Float32Array(w.hiddenKernel.length);
  const gHiddenBias = new Float32Array(w.hiddenBias.length);
  const gOutputKernel = new Float32Array(outIn);
  const gOutputBias = new Float32Array(1);
  const sEmbedding = new AdamSlot(w.embedding.length);
  const sHiddenKernel = new AdamSlot(w.hiddenKernel.length);
  const sHiddenBias = new AdamSlot(w.hiddenBias.length);
  const sOutputKernel = new AdamSlot(outIn);
  const sOutputBias = new AdamSlot(1);

  const touched = new Uint8Array(options.vocabSize);
  const touchedRows: number[] = [];
  const state: ForwardState = createForwardState(w);
  const dPooled = new Float32Array(dim);
  const dHidden = new Float32Array(hidden);
  const example = new Int32Array(L);

  const compact = compactSequences(train.ids, L);
  const validationCompact = compactSequences(validation.ids, L);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;

  const history: EpochResult[] = [];
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, check: 0, weights: cloneWeights(w) };
  const checksPerEpoch = Math.max(1, Math.floor(options.checksPerEpoch ?? 1));
  let checks = 0;
  let step = 0;
  let learningRate = options.learningRate;
  const averageDecay = options.averageDecay ?? 0;
  const average = averageDecay > 0 ? new WeightAverage(w, averageDecay) : undefined;

  training: for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffleInPlace(order, random);
    let lossSum = 0;
    let correct = 0;
    let nextCheck = 1;
    for (let start = 0; start < n; start += options.batchSize) {
      const end = Math.min(n, start + options.batchSize);
      const scale = 1 / (end - start);
      gHiddenKernel.fill(0);
      gHiddenBias.fill(0);
      gOutputKernel.fill(0);
      gOutputBias[0] = 0;

      for (let b = start; b < end; b++) {
        const idx = order[b] as number;
        let from = compact.offsets[idx] as number;
        let to = compact.offsets[idx + 1] as number;
        let exIds = compact.ids;
        let exShares = compact.shares;
        if (options.positionDropout > 0) {
          // A dropped position takes another position's id, so the average stays a mean.
          const source = train.ids.subarray(idx * L, (idx + 1) * L);
          for (let p = 0; p < L; p++) {
            example[p] = source[
              random() < options.positionDropout ? Math.floor(random() * L) : p
            ] as number;
          }
          const one = compactSequences(example, L);
          exIds = one.ids;
          exShares = one.shares;
          from = 0;
          to = one.ids.length;
        }
        const p = forwardCompact(w, exIds, exShares, from, to, state);
        const y = train.targets[idx] as number;
        const sampleWeight = train.weights ? (train.weights[idx] as number) : 1;
        const pc = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
        lossSum -= y * Math.log(pc) + (1 - y) * Math.log(1 - pc);
        if (p >= 0.5 === y >= 0.5) correct++;

        const dLogit = (p - y) * sampleWeight * scale;
        gOutputBias[0] = (gOutputBias[0] as number) + dLogit;
        if (hidden > 0) {
          const h = state.hiddenOut;
          for (let k = 0; k < hidden; k++) {
            gOutputKernel[k] = (gOutputKernel[k] as number) + dLogit * (h[k] as number);
            dHidden[k] = (h[k] as number) > 0 ? dLogit * (w.outputKernel[k] as number) : 0;
            gHiddenBias[k] = (gHiddenBias[k] as number) + (dHidden[k] as number);
          }
          for (let j = 0; j < dim; j++) {
            const x = state.pooled[j] as number;
            const off = j * hidden;
            let acc = 0;
            for (let k = 0; k < hidden; k++) {
              const dh = dHidden[k] as number;
              gHiddenKernel[off + k] = (gHiddenKernel[off + k] as number) + x * dh;
              acc += (w.hiddenKernel[off + k] as number) * dh;
            }
            dPooled[j] = acc;
          }
        } else {
          for (let j = 0; j < dim; j++) {
            gOutputKernel[j] = (gOutputKernel[j] as number) + dLogit * (state.pooled[j] as number);
            dPooled[j] = dLogit * (w.outputKernel[j] as number);
          }
        }
        for (let k = from; k < to; k++) {
          const id = exIds[k] as number;
          const share = exShares[k] as number;
          if (touched[id] === 0) {
            touched[id] = 1;
            touchedRows.push(id);
          }
          const row = id * dim;
          for (let j = 0; j < dim; j++) {
            gEmbedding[row + j] = (gEmbedding[row + j] as number) + (dPooled[j] as number) * share;
          }
        }
      }

      step++;
      const stepSize = (learningRate * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
      for (const id of touchedRows) {
        const row = id * dim;
        if (options.embeddingL2 > 0) {
          for (let j = row; j < row + dim; j++) {
            gEmbedding[j] =
              (gEmbedding[j] as number) + options.embeddingL2 * (w.embedding[j] as number);
          }
        }
        average?.beforeRow(w, id, step);
        adamUpdate(w.embedding, gEmbedding, sEmbedding, row, row + dim, stepSize);
        average?.afterRow(w, id, step);
        gEmbedding.fill(0, row, row + dim);
        touched[id] = 0;
      }
      touchedRows.length = 0;
      adamUpdate(w.hiddenKernel, gHiddenKernel, sHiddenKernel, 0, gHiddenKernel.length, stepSize);
      adamUpdate(w.hiddenBias, gHiddenBias, sHiddenBias, 0, gHiddenBias.length, stepSize);
      adamUpdate(w.outputKernel, gOutputKernel, sOutputKernel, 0, outIn, stepSize);
      adamUpdate(w.outputBias, gOutputBias, sOutputBias, 0, 1, stepSize);
      average?.afterDense(w);

      callbacks.onBatch?.({
        epoch,
        seen: end,
        total: n,
        loss: lossSum / end,
        accuracy: correct / end,
      });

      if (end < (n * nextCheck) / checksPerEpoch) continue;
      nextCheck++;
      checks++;
      const evaluated = average ? average.snapshot(w, step) : w;
      const v = lossAndAccuracy(predictCompact(evaluated, validationCompact), validation.targets);
      const result: EpochResult = {
        epoch: Math.round((epoch - 1 + end / n) * 100) / 100,
        trainLoss: lossSum / end,
        trainAccuracy: correct / end,
        validationLoss: v.loss,
        validationAccuracy: v.accuracy,
      };
      history.push(result);
      callbacks.onEpoch?.(result);
      if (v.loss < best.loss) {
        best = {
          loss: v.loss,
          epoch: result.epoch,
          check: checks,
          weights: cloneWeights(evaluated),
        };
      } else if (checks - best.check >= options.patience) {
        break training;
      }
    }
    learningRate *= options.learningRateDecay;
  }
  return { weights: best.weights, history, bestEpoch: best.epoch };
}
