import type { CompactSequences } from "./bag-of-embeddings.js";
import { mulberry32, shuffleInPlace } from "./bag-of-embeddings.js";
import { evaluateScores } from "./classification-report.js";
import type { GoldLabel } from "./labelled-data.js";
import type { EvaluationReport } from "./metadata.js";

/**
 * A three-way bag of embeddings: Embedding(vocab, 3) -> average over the row -> + bias ->
 * softmax, outputs in CLASS_ORDER. With nothing non-linear between the average and the output,
 * it is a multinomial logistic regression over the bag's (share-weighted) features, and each
 * vocabulary row is directly its contribution to the three logits. The TensorFlow.js model
 * (buildSoftmaxNetwork) computes the same with an identity Dense(3, softmax) kernel.
 */
export const CLASS_ORDER = ["NEGATIVE", "NEUTRAL", "POSITIVE"] as const;
export const CLASSES = 3;
export const NEGATIVE = 0;
export const NEUTRAL = 1;
export const POSITIVE = 2;

export interface SoftmaxBagWeights {
  vocabSize: number;
  /** [vocabSize, 3] row-major; row 0 (padding) stays zero. */
  embedding: Float32Array;
  /** [3] */
  bias: Float32Array;
}

/**
 * Training rows. A "3class" row knows its class (cross-entropy of the softmax); a "binary" row
 * only knows negative vs positive and contributes -log(p_y / (p_neg + p_pos)), so it teaches
 * polarity without pushing the neutral class down.
 */
export interface SoftmaxExamples {
  seqs: CompactSequences;
  /** NEGATIVE, NEUTRAL or POSITIVE per row (binary rows: NEGATIVE or POSITIVE). */
  labels: Uint8Array;
  /** 1 for a binary (polarity-only) row, 0 for a 3-class row. */
  binary: Uint8Array;
  /** Per-row loss weights. */
  weights: Float32Array;
}

export interface SoftmaxTrainingOptions {
  vocabSize: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Multiplies the learning rate after every epoch. */
  learningRateDecay: number;
  /** L2 penalty on the embedding rows a batch uses (lazy weight decay). */
  embeddingL2: number;
  /** Probability of dropping each distinct feature of a row (inverted dropout). */
  featureDropout: number;
  /** Stop after this many validation checks without a lower validation loss. */
  patience: number;
  checksPerEpoch: number;
  seed: number;
}

export interface SoftmaxCheck {
  epoch: number;
  trainLoss: number;
  /** Rows right: argmax for 3-class rows, the polarity score's side of 0.5 for binary rows. */
  trainAccuracy: number;
  validationLoss: number;
  validationAccuracy: number;
}

export interface SoftmaxTrainingResult {
  weights: SoftmaxBagWeights;
  history: SoftmaxCheck[];
  bestEpoch: number;
}

/** Writes the logits of entries from..to-1 of compact sequences into `out` (length 3). */
export function logitsCompact(
  w: SoftmaxBagWeights,
  ids: Int32Array,
  shares: Float32Array,
  from: number,
  to: number,
  out: Float32Array | Float64Array,
): void {
  const e = w.embedding;
  let z0 = w.bias[0] as number;
  let z1 = w.bias[1] as number;
  let z2 = w.bias[2] as number;
  for (let k = from; k < to; k++) {
    const row = (ids[k] as number) * 3;
    const s = shares[k] as number;
    z0 += s * (e[row] as number);
    z1 += s * (e[row + 1] as number);
    z2 += s * (e[row + 2] as number);
  }
  out[0] = z0;
  out[1] = z1;
  out[2] = z2;
}

/** Softmax of 3 logits, in place. */
export function softmax3(z: Float32Array | Float64Array): void {
  const m = Math.max(z[0] as number, z[1] as number, z[2] as number);
  const a = Math.exp((z[0] as number) - m);
  const b = Math.exp((z[1] as number) - m);
  const c = Math.exp((z[2] as number) - m);
  const sum = a + b + c;
  z[0] = a / sum;
  z[1] = b / sum;
  z[2] = c / sum;
}

/** [n, 3] row-major probabilities of compact sequences. */
export function predictProbabilities(w: SoftmaxBagWeights, seqs: CompactSequences): Float32Array {
  const n = seqs.offsets.length - 1;
  const out = new Float32Array(n * 3);
  const z = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    logitsCompact(
      w,
      seqs.ids,
      seqs.shares,
      seqs.offsets[i] as number,
      seqs.offsets[i + 1] as number,
      z,
    );
    softmax3(z);
    out.set(z, i * 3);
  }
  return out;
}

/** The binary score of a probability row: P(positive | not neutral) = p_pos / (p_pos + p_neg). */
export function polarityScore(p: ArrayLike<number>, offset = 0): number {
  const neg = p[offset + NEGATIVE] as number;
  const pos = p[offset + POSITIVE] as number;
  return neg + pos > 0 ? pos / (neg + pos) : 0.5;
}

/** Index of the largest of the 3 values at `offset` (ties: the first). */
export function argmax3(p: ArrayLike<number>, offset = 0): number {
  const a = p[offset] as number;
  const b = p[offset + 1] as number;
  const c = p[offset + 2] as number;
  return a >= b && a >= c ? 0 : b >= c ? 1 : 2;
}

/**
 * Loss of one row from its probabilities (written into `grad` as d loss / d logits, unweighted):
 * cross-entropy for a 3-class row, -log(p_y / (p_neg + p_pos)) for a binary one.
 */
export function rowLoss(
  p: ArrayLike<number>,
  label: number,
  binary: boolean,
  grad: Float64Array,
): number {
  if (!binary) {
    for (let k = 0; k < 3; k++) grad[k] = (p[k] as number) - (k === label ? 1 : 0);
    return -Math.log(Math.max(p[label] as number, 1e-12));
  }
  const q = polarityScore(p);
  const target = label === POSITIVE ? 1 : 0;
  // d/dz of -log q_y with q = sigmoid(z_pos - z_neg): the neutral logit gets no gradient.
  grad[POSITIVE] = q - target;
  grad[NEGATIVE] = target - q;
  grad[NEUTRAL] = 0;
  return -Math.log(Math.max(target === 1 ? q : 1 - q, 1e-12));
}

/** Whether a row's prediction is right: argmax for a 3-class row, polarity for a binary one. */
export function rowCorrect(
  p: ArrayLike<number>,
  label: number,
  binary: boolean,
  offset = 0,
): boolean {
  return binary
    ? polarityScore(p, offset) >= 0.5 === (label === POSITIVE)
    : argmax3(p, offset) === label;
}

/** Weighted mean loss (the training objective, without dropout) and accuracy of a set. */
export function lossAndAccuracy(
  w: SoftmaxBagWeights,
  set: SoftmaxExamples,
): { loss: number; accuracy: number } {
  const p = predictProbabilities(w, set.seqs);
  const grad = new Float64Array(3);
  let sum = 0;
  let weight = 0;
  let correct = 0;
  for (let i = 0; i < set.labels.length; i++) {
    const s = set.weights[i] as number;
    const label = set.labels[i] as number;
    const binary = set.binary[i] === 1;
    sum += s * rowLoss(p.subarray(i * 3, i * 3 + 3), label, binary, grad);
    weight += s;
    if (rowCorrect(p, label, binary, i * 3)) correct++;
  }
  return {
    loss: weight > 0 ? sum / weight : 0,
    accuracy: correct / Math.max(1, set.labels.length),
  };
}

export function initSoftmaxBag(vocabSize: number, random: () => number): SoftmaxBagWeights {
  const embedding = new Float32Array(vocabSize * 3);
  for (let i = 3; i < embedding.length; i++) embedding[i] = (random() * 2 - 1) * 0.01;
  return { vocabSize, embedding, bias: new Float32Array(3) };
}

function cloneWeights(w: SoftmaxBagWeights): SoftmaxBagWeights {
  return { vocabSize: w.vocabSize, embedding: w.embedding.slice(), bias: w.bias.slice() };
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/**
 * Trains with mini-batch Adam (lazy, sparse updates of the embedding rows a batch touches),
 * seeded init and shuffling, early stopping on the weighted validation loss. Returns the weights
 * of the best validation check. Deterministic: the same inputs give byte-identical weights.
 */
export function trainSoftmaxBag(
  train: SoftmaxExamples,
  validation: SoftmaxExamples,
  options: SoftmaxTrainingOptions,
  onCheck?: (c: SoftmaxCheck) => void,
): SoftmaxTrainingResult {
  const random = mulberry32(options.seed);
  const w = initSoftmaxBag(options.vocabSize, random);
  const n = train.labels.length;
  const { seqs } = train;
  const gEmbedding = new Float64Array(w.embedding.length);
  const m = new Float32Array(w.embedding.length);
  const v = new Float32Array(w.embedding.length);
  const gBias = new Float64Array(3);
  const mBias = new Float64Array(3);
  const vBias = new Float64Array(3);
  const touched = new Uint8Array(options.vocabSize);
  const touchedRows: number[] = [];
  const z = new Float64Array(3);
  const grad = new Float64Array(3);
  let longest = 1;
  for (let i = 0; i < n; i++) {
    longest = Math.max(longest, (seqs.offsets[i + 1] as number) - (seqs.offsets[i] as number));
  }
  const keptShares = new Float32Array(longest);
  const keptIds = new Int32Array(keptShares.length);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;

  const history: SoftmaxCheck[] = [];
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, check: 0, weights: cloneWeights(w) };
  const checksPerEpoch = Math.max(1, Math.floor(options.checksPerEpoch));
  const dropout = options.featureDropout;
  let checks = 0;
  let step = 0;
  let learningRate = options.learningRate;

  training: for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffleInPlace(order, random);
    let lossSum = 0;
    let weightSum = 0;
    let correct = 0;
    let seen = 0;
    let nextCheck = 1;
    for (let start = 0; start < n; start += options.batchSize) {
      const end = Math.min(n, start + options.batchSize);
      const scale = 1 / (end - start);
      gBias.fill(0);
      for (let b = start; b < end; b++) {
        const idx = order[b] as number;
        const from = seqs.offsets[idx] as number;
        const to = seqs.offsets[idx + 1] as number;
        let count = 0;
        if (dropout > 0) {
          const keep = 1 / (1 - dropout);
          for (let k = from; k < to; k++) {
            if (random() < dropout) continue;
            keptIds[count] = seqs.ids[k] as number;
            keptShares[count] = (seqs.shares[k] as number) * keep;
            count++;
          }
        } else {
          count = to - from;
          keptIds.set(seqs.ids.subarray(from, to));
          keptShares.set(seqs.shares.subarray(from, to));
        }
        logitsCompact(w, keptIds, keptShares, 0, count, z);
        softmax3(z);
        const sampleWeight = train.weights[idx] as number;
        const label = train.labels[idx] as number;
        const binary = train.binary[idx] === 1;
        lossSum += sampleWeight * rowLoss(z, label, binary, grad);
        weightSum += sampleWeight;
        seen++;
        if (rowCorrect(z, label, binary)) correct++;
        const g0 = (grad[0] as number) * sampleWeight * scale;
        const g1 = (grad[1] as number) * sampleWeight * scale;
        const g2 = (grad[2] as number) * sampleWeight * scale;
        gBias[0] = (gBias[0] as number) + g0;
        gBias[1] = (gBias[1] as number) + g1;
        gBias[2] = (gBias[2] as number) + g2;
        for (let k = 0; k < count; k++) {
          const id = keptIds[k] as number;
          const s = keptShares[k] as number;
          if (touched[id] === 0) {
            touched[id] = 1;
            touchedRows.push(id);
          }
          const row = id * 3;
          gEmbedding[row] = (gEmbedding[row] as number) + s * g0;
          gEmbedding[row + 1] = (gEmbedding[row + 1] as number) + s * g1;
          gEmbedding[row + 2] = (gEmbedding[row + 2] as number) + s * g2;
        }
      }
      step++;
      const stepSize = (learningRate * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
      const l2 = options.embeddingL2;
      for (const id of touchedRows) {
        if (id !== 0) {
          for (let j = id * 3; j < id * 3 + 3; j++) {
            const g = (gEmbedding[j] as number) + l2 * (w.embedding[j] as number);
            const mj = BETA1 * (m[j] as number) + (1 - BETA1) * g;
            const vj = BETA2 * (v[j] as number) + (1 - BETA2) * g * g;
            m[j] = mj;
            v[j] = vj;
            w.embedding[j] =
              (w.embedding[j] as number) - (stepSize * mj) / (Math.sqrt(vj) + EPSILON);
          }
        }
        gEmbedding[id * 3] = 0;
        gEmbedding[id * 3 + 1] = 0;
        gEmbedding[id * 3 + 2] = 0;
        touched[id] = 0;
      }
      touchedRows.length = 0;
      for (let k = 0; k < 3; k++) {
        const g = gBias[k] as number;
        mBias[k] = BETA1 * (mBias[k] as number) + (1 - BETA1) * g;
        vBias[k] = BETA2 * (vBias[k] as number) + (1 - BETA2) * g * g;
        w.bias[k] =
          (w.bias[k] as number) -
          (stepSize * (mBias[k] as number)) / (Math.sqrt(vBias[k] as number) + EPSILON);
      }

      if (end < (n * nextCheck) / checksPerEpoch) continue;
      nextCheck++;
      checks++;
      const validated = lossAndAccuracy(w, validation);
      const check: SoftmaxCheck = {
        epoch: Math.round((epoch - 1 + end / n) * 100) / 100,
        trainLoss: weightSum > 0 ? lossSum / weightSum : 0,
        trainAccuracy: correct / Math.max(1, seen),
        validationLoss: validated.loss,
        validationAccuracy: validated.accuracy,
      };
      history.push(check);
      onCheck?.(check);
      if (check.validationLoss < best.loss) {
        best = {
          loss: check.validationLoss,
          epoch: check.epoch,
          check: checks,
          weights: cloneWeights(w),
        };
      } else if (checks - best.check >= options.patience) {
        break training;
      }
    }
    learningRate *= options.learningRateDecay;
  }
  return { weights: best.weights, history, bestEpoch: best.epoch };
}

/** The same network with `offsets` added to its output bias (decision biases folded in). */
export function withBiasOffsets(
  w: SoftmaxBagWeights,
  offsets: ArrayLike<number>,
): SoftmaxBagWeights {
  const bias = w.bias.slice();
  for (let k = 0; k < 3; k++) bias[k] = (bias[k] as number) + (offsets[k] as number);
  return { vocabSize: w.vocabSize, embedding: w.embedding, bias };
}

/**
 * Accuracy and macro-F1 of the argmax of `logits` + `offsets` against `labels`, each row
 * counted `classWeights[its label]` times.
 */
function accuracyAndMacroF1(
  logits: Float32Array,
  labels: Uint8Array,
  offsets: ArrayLike<number>,
  classWeights: ArrayLike<number>,
): { accuracy: number; macroF1: number } {
  const hit = [0, 0, 0];
  const gold = [0, 0, 0];
  const predicted = [0, 0, 0];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    let best = 0;
    let top = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < 3; k++) {
      const z = (logits[i * 3 + k] as number) + (offsets[k] as number);
      if (z > top) {
        top = z;
        best = k;
      }
    }
    const weight = classWeights[label] as number;
    gold[label] = (gold[label] as number) + weight;
    predicted[best] = (predicted[best] as number) + weight;
    if (best === label) hit[label] = (hit[label] as number) + weight;
  }
  let f1 = 0;
  for (let k = 0; k < 3; k++) {
    const both = (gold[k] as number) + (predicted[k] as number);
    f1 += both > 0 ? (2 * (hit[k] as number)) / both : 0;
  }
  const total = gold.reduce((a, b) => a + b, 0);
  return { accuracy: total > 0 ? hit.reduce((a, b) => a + b, 0) / total : 0, macroF1: f1 / 3 };
}

export interface BiasTuning {
  /** Added to the NEGATIVE, NEUTRAL, POSITIVE logits (NEUTRAL's is 0). */
  offsets: [number, number, number];
  /** The objective at those offsets and at zero offsets. */
  objective: number;
  untunedObjective: number;
}

/**
 * Decision biases chosen on validation: offsets for the NEGATIVE and POSITIVE logits (a grid of
 * `step` up to ±`range`) maximising the 3-class set's accuracy plus its macro-F1 plus the
 * binary set's accuracy (score >= 0.5, i.e. z_pos >= z_neg). The 3-class rows count as
 * `classMix` says (the share of each class, CLASS_ORDER; default the set's own): biases tuned
 * for accuracy on a set copy its class mix, so the trainer gives the training rows' mix rather
 * than that of the few validation files. Log probabilities stand in for logits (they differ by
 * a per-row constant, argmax is unchanged).
 */
export function tuneBiasOffsets(
  threeClass: { logProbabilities: Float32Array; labels: Uint8Array },
  binary: { logProbabilities: Float32Array; labels: Uint8Array },
  classMix?: readonly [number, number, number],
  range = 1.5,
  step = 0.05,
): BiasTuning {
  const counts = [0, 0, 0];
  for (const label of threeClass.labels) counts[label] = (counts[label] as number) + 1;
  const classWeights = counts.map((n, k) =>
    classMix === undefined || n === 0 ? 1 : (classMix[k] as number) / n,
  );
  const objective = (offsets: [number, number, number]) => {
    const { accuracy, macroF1 } = accuracyAndMacroF1(
      threeClass.logProbabilities,
      threeClass.labels,
      offsets,
      classWeights,
    );
    let correct = 0;
    const { logProbabilities: z, labels } = binary;
    for (let i = 0; i < labels.length; i++) {
      const positive = (z[i * 3 + 2] as number) + offsets[2] >= (z[i * 3] as number) + offsets[0];
      if (positive === (labels[i] === POSITIVE)) correct++;
    }
    return accuracy + macroF1 + (labels.length > 0 ? correct / labels.length : 0);
  };
  const untunedObjective = objective([0, 0, 0]);
  let best: BiasTuning = { offsets: [0, 0, 0], objective: untunedObjective, untunedObjective };
  const steps = Math.round(range / step);
  for (let a = -steps; a <= steps; a++) {
    for (let b = -steps; b <= steps; b++) {
      const offsets: [number, number, number] = [a * step, 0, b * step];
      const value = objective(offsets);
      if (value > best.objective + 1e-12) best = { offsets, objective: value, untunedObjective };
    }
  }
  return best;
}

/** Natural logs of probabilities (floored), as tuneBiasOffsets takes them. */
export function logOf(probabilities: Float32Array): Float32Array {
  return Float32Array.from(probabilities, (p) => Math.log(Math.max(p, 1e-30)));
}

/**
 * The report of a labelled set from [n, 3] probabilities. Binary sets: the score
 * p_pos / (p_pos + p_neg) cut at 0.5 (with its log loss). 3-class sets: the argmax label, passed
 * to evaluateScores as a score its default thresholds map back to that label (0, 0.5, 1).
 */
export function evaluateProbabilities(
  probabilities: Float32Array,
  gold: readonly GoldLabel[],
  task: "binary" | "3class",
): EvaluationReport {
  const n = gold.length;
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    scores[i] =
      task === "binary" ? polarityScore(probabilities, i * 3) : argmax3(probabilities, i * 3) / 2;
  }
  return evaluateScores(scores, gold, task, { negativeBelow: 0.4, positiveAbove: 0.7 });
}
