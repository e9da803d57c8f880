/**
 * The network as plain typed arrays: Embedding(vocab, dim) -> average over the fixed sequence
 * length -> optional Dense(hidden, relu) -> Dense(1, sigmoid). The TensorFlow.js model in
 * tfjs-network.ts computes exactly this; the trainer updates these arrays directly.
 */
export interface BagOfEmbeddingsWeights {
  vocabSize: number;
  dim: number;
  /** Width of the hidden relu layer; 0 means none. */
  hidden: number;
  /** [vocabSize, dim] row-major; row 0 (padding) stays zero. */
  embedding: Float32Array;
  /** [dim, hidden] row-major (tfjs Dense kernel layout). */
  hiddenKernel: Float32Array;
  hiddenBias: Float32Array;
  /** [hidden || dim] */
  outputKernel: Float32Array;
  /** [1] */
  outputBias: Float32Array;
}

/** Seeded 32-bit PRNG (mulberry32): reproducible initialisation and shuffling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle in place, drawing from `random` (a seeded PRNG keeps runs reproducible). */
export function shuffleInPlace<T>(
  items: { length: number; [index: number]: T },
  random: () => number,
): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
}

/** Glorot-uniform style initialisation from a seeded PRNG. */
export function initWeights(
  vocabSize: number,
  dim: number,
  hidden: number,
  random: () => number,
): BagOfEmbeddingsWeights {
  const uniform = (n: number, limit: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (random() * 2 - 1) * limit;
    return a;
  };
  const embedding = uniform(vocabSize * dim, 0.05);
  embedding.fill(0, 0, dim);
  const outIn = hidden > 0 ? hidden : dim;
  return {
    vocabSize,
    dim,
    hidden,
    embedding,
    hiddenKernel: uniform(dim * hidden, Math.sqrt(6 / (dim + Math.max(hidden, 1)))),
    hiddenBias: new Float32Array(hidden),
    outputKernel: uniform(outIn, Math.sqrt(6 / (outIn + 1))),
    outputBias: new Float32Array(1),
  };
}

/** Scratch buffers of one forward pass, reused by the trainer's backward pass. */
export interface ForwardState {
  pooled: Float32Array;
  hiddenOut: Float32Array;
  probability: number;
}

export function createForwardState(w: BagOfEmbeddingsWeights): ForwardState {
  return {
    pooled: new Float32Array(w.dim),
    hiddenOut: new Float32Array(w.hidden),
    probability: 0,
  };
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** P(positive) of one id sequence; fills `state` for backpropagation. */
export function forward(w: BagOfEmbeddingsWeights, ids: Int32Array, state: ForwardState): number {
  const { dim, embedding } = w;
  const pooled = state.pooled;
  pooled.fill(0);
  for (let p = 0; p < ids.length; p++) {
    const row = (ids[p] as number) * dim;
    for (let j = 0; j < dim; j++)
      pooled[j] = (pooled[j] as number) + (embedding[row + j] as number);
  }
  const inv = 1 / ids.length;
  for (let j = 0; j < dim; j++) pooled[j] = (pooled[j] as number) * inv;

  return head(w, state);
}

/** Scores a row-major [n, sequenceLength] id matrix with the typed-array forward pass. */
export function predictIds(
  w: BagOfEmbeddingsWeights,
  ids: Int32Array,
  sequenceLength: number,
): Float32Array {
  const n = ids.length / sequenceLength;
  const out = new Float32Array(n);
  const state = createForwardState(w);
  for (let i = 0; i < n; i++) {
    out[i] = forward(w, ids.subarray(i * sequenceLength, (i + 1) * sequenceLength), state);
  }
  return out;
}

/**
 * Id sequences stored as their non-padding ids, each with its share of the sequence length
 * (count / length): averaging over all positions equals the share-weighted sum, and a
 * repeat-padded tweet has far fewer ids than positions. An id listed twice adds its shares;
 * compactSequences lists each id once.
 */
export interface CompactSequences {
  /** Example i owns entries offsets[i] .. offsets[i + 1] - 1. */
  offsets: Uint32Array;
  ids: Int32Array;
  shares: Float32Array;
}

/** Compacts a row-major [n, sequenceLength] id matrix. */
export function compactSequences(ids: Int32Array, sequenceLength: number): CompactSequences {
  const n = ids.length / sequenceLength;
  const offsets = new Uint32Array(n + 1);
  const outIds: number[] = [];
  const outShares: number[] = [];
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    counts.clear();
    for (let p = i * sequenceLength; p < (i + 1) * sequenceLength; p++) {
      const id = ids[p] as number;
      if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const [id, count] of counts) {
      outIds.push(id);
      outShares.push(count / sequenceLength);
    }
    offsets[i + 1] = outIds.length;
  }
  return { offsets, ids: Int32Array.from(outIds), shares: Float32Array.from(outShares) };
}

/** P(positive) of entries from..to-1 of compact sequences; fills `state` like `forward`. */
export function forwardCompact(
  w: BagOfEmbeddingsWeights,
  ids: Int32Array,
  shares: Float32Array,
  from: number,
  to: number,
  state: ForwardState,
): number {
  const { dim, embedding } = w;
  const pooled = state.pooled;
  pooled.fill(0);
  for (let k = from; k < to; k++) {
    const row = (ids[k] as number) * dim;
    const share = shares[k] as number;
    for (let j = 0; j < dim; j++) {
      pooled[j] = (pooled[j] as number) + share * (embedding[row + j] as number);
    }
  }
  return head(w, state);
}

/** The layers after pooling: optional relu layer, then the logistic output. */
function head(w: BagOfEmbeddingsWeights, state: ForwardState): number {
  const { dim, hidden } = w;
  const pooled = state.pooled;
  let features = pooled;
  if (hidden > 0) {
    const h = state.hiddenOut;
    for (let k = 0; k < hidden; k++) h[k] = w.hiddenBias[k] as number;
    for (let j = 0; j < dim; j++) {
      const x = pooled[j] as number;
      const rowOff = j * hidden;
      for (let k = 0; k < hidden; k++) {
        h[k] = (h[k] as number) + x * (w.hiddenKernel[rowOff + k] as number);
      }
    }
    for (let k = 0; k < hidden; k++) if ((h[k] as number) < 0) h[k] = 0;
    features = h;
  }
  let logit = w.outputBias[0] as number;
  for (let k = 0; k < features.length; k++) {
    logit += (features[k] as number) * (w.outputKernel[k] as number);
  }
  state.probability = sigmoid(logit);
  return state.probability;
}

/** Scores compact sequences with the typed-array forward pass. */
export function predictCompact(w: BagOfEmbeddingsWeights, seqs: CompactSequences): Float32Array {
  const n = seqs.offsets.length - 1;
  const out = new Float32Array(n);
  const state = createForwardState(w);
  for (let i = 0; i < n; i++) {
    out[i] = forwardCompact(
      w,
      seqs.ids,
      seqs.shares,
      seqs.offsets[i] as number,
      seqs.offsets[i + 1] as number,
      state,
    );
  }
  return out;
}

/**
 * One network whose logit is the mean of the members' logits (an ensemble at the cost of one
 * wider embedding): embeddings side by side, output kernels concatenated and divided by the
 * member count. Only for members without a hidden layer and with the same vocabulary.
 */
export function averageLogits(members: readonly BagOfEmbeddingsWeights[]): BagOfEmbeddingsWeights {
  const first = members[0];
  if (first === undefined) throw new Error("averageLogits needs at least one member");
  if (members.some((m) => m.hidden !== 0 || m.vocabSize !== first.vocabSize)) {
    throw new Error("averageLogits needs members without hidden layer and with one vocabulary");
  }
  const k = members.length;
  const dim = members.reduce((a, m) => a + m.dim, 0);
  const embedding = new Float32Array(first.vocabSize * dim);
  const outputKernel = new Float32Array(dim);
  let offset = 0;
  let bias = 0;
  for (const m of members) {
    for (let row = 0; row < first.vocabSize; row++) {
      embedding.set(m.embedding.subarray(row * m.dim, (row + 1) * m.dim), row * dim + offset);
    }
    for (let j = 0; j < m.dim; j++) outputKernel[offset + j] = (m.outputKernel[j] as number) / k;
    bias += (m.outputBias[0] as number) / k;
    offset += m.dim;
  }
  return {
    vocabSize: first.vocabSize,
    dim,
    hidden: 0,
    embedding,
    hiddenKernel: new Float32Array(0),
    hiddenBias: new Float32Array(0),
    outputKernel,
    outputBias: Float32Array.of(bias),
  };
}

/**
 * The same network with its output layer folded into the embedding: without a hidden layer the
 * logit is k·mean(E[ids]) + b = mean(E[ids]·k) + b, so each vocabulary row can be stored as its
 * one-number contribution E[row]·k. Scores are unchanged (float rounding aside) and serving
 * gathers one number per position instead of `dim`.
 */
export function foldOutputLayer(w: BagOfEmbeddingsWeights): BagOfEmbeddingsWeights {
  if (w.hidden !== 0) throw new Error("foldOutputLayer needs a network without hidden layer");
  const embedding = new Float32Array(w.vocabSize);
  for (let row = 0; row < w.vocabSize; row++) {
    let logit = 0;
    for (let j = 0; j < w.dim; j++) {
      logit += (w.embedding[row * w.dim + j] as number) * (w.outputKernel[j] as number);
    }
    embedding[row] = logit;
  }
  return foldedNetwork(embedding, w.outputBias[0] as number);
}

/** A folded network: one logit contribution per row, output kernel 1, then `bias`. */
function foldedNetwork(embedding: Float32Array, bias: number): BagOfEmbeddingsWeights {
  return {
    vocabSize: embedding.length,
    dim: 1,
    hidden: 0,
    embedding,
    hiddenKernel: new Float32Array(0),
    hiddenBias: new Float32Array(0),
    outputKernel: Float32Array.of(1),
    outputBias: Float32Array.of(bias),
  };
}

/** One folded bag of a model with several id segments (see combineSegments). */
export interface WeightedSegment {
  /** A folded network (foldOutputLayer): one number per row, output kernel 1. */
  weights: BagOfEmbeddingsWeights;
  /** Positions of this segment in each input row. */
  sequenceLength: number;
  /** This segment's share of the combined logit. */
  weight: number;
}

/**
 * One folded network over the concatenated segments whose logit is Σ weight·logit of each
 * segment's own network over its own positions. The network averages over all L positions, so
 * a segment's rows are scaled by L·weight / its length; they follow the previous segments' rows
 * without their padding row (every segment pads with the shared row 0).
 */
export function combineSegments(segments: readonly WeightedSegment[]): BagOfEmbeddingsWeights {
  if (segments.length === 0) throw new Error("combineSegments needs at least one segment");
  for (const { weights } of segments) {
    if (weights.dim !== 1 || weights.hidden !== 0 || weights.outputKernel[0] !== 1) {
      throw new Error("combineSegments needs folded networks (foldOutputLayer)");
    }
  }
  const totalLength = segments.reduce((sum, s) => sum + s.sequenceLength, 0);
  const vocabSize = 1 + segments.reduce((sum, s) => sum + s.weights.vocabSize - 1, 0);
  const embedding = new Float32Array(vocabSize);
  let row = 1;
  let bias = 0;
  for (const { weights, sequenceLength, weight } of segments) {
    const scale = (totalLength * weight) / sequenceLength;
    for (let id = 1; id < weights.vocabSize; id++) {
      embedding[row++] = (weights.embedding[id] as number) * scale;
    }
    bias += weight * (weights.outputBias[0] as number);
  }
  return foldedNetwork(embedding, bias);
}
