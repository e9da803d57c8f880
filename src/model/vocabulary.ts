import { z } from "zod";
import {
  AsciiGramTable,
  asciiGramKey,
  isAscii,
  isAsciiGram,
  MAX_ASCII_GRAM,
} from "./ascii-gram-table.js";
import type { CompactSequences } from "./bag-of-embeddings.js";
import type { PreprocessSettings } from "./preprocess.js";
import {
  charSegmentText,
  codePointStarts,
  featuresOfTokens,
  inputLength,
  tokenize,
} from "./preprocess.js";

/** Id 0 is padding (its embedding row is zero); features are numbered from 1. */
export const PADDING_ID = 0;

export const VocabularyFileSchema = z
  .object({
    /** `features[i]` has id i + 1. */
    features: z.array(z.string()),
    /** The character segment's n-grams, numbered after the features: `charFeatures[k]` has id features.length + 1 + k. */
    charFeatures: z.array(z.string()).optional(),
    /** A TF-IDF model's inverse document frequencies: `idf[i]` is id i + 1's (features, then charFeatures). */
    idf: z.array(z.number().positive()).optional(),
  })
  .refine(
    (file) =>
      file.idf === undefined ||
      file.idf.length === file.features.length + (file.charFeatures?.length ?? 0),
    { message: "idf must have one value per feature and character n-gram", path: ["idf"] },
  );
export type VocabularyFile = z.infer<typeof VocabularyFileSchema>;

/**
 * Maps features (words, bigrams) and, for a model with a character segment, character n-grams to
 * embedding ids, one numbering for both; unknown features are ignored.
 */
export class Vocabulary {
  readonly #ids: Map<string, number>;
  readonly #charIds: Map<string, number>;
  readonly #asciiCharIds: AsciiGramTable;
  readonly features: readonly string[];
  readonly charFeatures: readonly string[];
  /** Inverse document frequency per id (index 0, the padding row, unused), for TF-IDF weighting. */
  readonly idf: Float64Array | undefined;

  constructor(
    features: readonly string[],
    charFeatures: readonly string[] = [],
    /** One value per feature then character n-gram (id 1 onwards). */
    idf?: ArrayLike<number>,
  ) {
    this.features = features;
    this.charFeatures = charFeatures;
    if (idf !== undefined && idf.length !== features.length + charFeatures.length) {
      throw new Error(
        `idf has ${idf.length} values for ${features.length + charFeatures.length} features`,
      );
    }
    if (idf === undefined) {
      this.idf = undefined;
    } else {
      this.idf = new Float64Array(idf.length + 1);
      this.idf.set(idf, 1);
    }
    this.#ids = new Map(features.map((f, i) => [f, i + 1]));
    // ASCII n-grams (nearly all) live in the table, the others in the Map.
    this.#asciiCharIds = new AsciiGramTable(charFeatures, features.length + 1);
    this.#charIds = new Map();
    charFeatures.forEach((gram, k) => {
      if (!isAsciiGram(gram)) this.#charIds.set(gram, features.length + 1 + k);
    });
  }

  /** Number of embedding rows, padding included. */
  get size(): number {
    return this.features.length + this.charFeatures.length + 1;
  }

  idOf(feature: string): number | undefined {
    return this.#ids.get(feature);
  }

  charIdOf(gram: string): number | undefined {
    return isAsciiGram(gram)
      ? this.#asciiCharIds.idOf(asciiGramKey(gram, 0, gram.length))
      : this.#charIds.get(gram);
  }

  /**
   * The ids of the character segment's known n-grams, in charSegmentFeatures' order, written
   * into `out` until it is full; returns how many. The same as looking up charSegmentFeatures
   * one by one, but an n-gram of ASCII characters is looked up by its key, without cutting it
   * out of the text as a string.
   */
  writeCharSegmentIds(
    tokens: readonly string[],
    segment: { minN: number; maxN: number },
    out: Int32Array,
  ): number {
    if (tokens.length === 0) return 0;
    const text = charSegmentText(tokens);
    // An ASCII text (the common case) needs no code point bookkeeping: code point i is text[i].
    const ascii = isAscii(text);
    const starts = ascii ? undefined : codePointStarts(text);
    const chars = starts === undefined ? text.length : starts.length - 1;
    // nonAscii[i]: how many of the first i code points are not ASCII.
    const nonAscii = new Int32Array(starts === undefined ? 0 : chars + 1);
    for (let i = 0; starts !== undefined && i < chars; i++) {
      const code = text.charCodeAt(starts[i] as number);
      nonAscii[i + 1] = (nonAscii[i] as number) + (code > 0x7f ? 1 : 0);
    }
    let n = 0;
    for (let size = segment.minN; size <= segment.maxN; size++) {
      for (let i = 0; i + size <= chars; i++) {
        if (n >= out.length) return n;
        const from = starts === undefined ? i : (starts[i] as number);
        const id =
          size <= MAX_ASCII_GRAM && (ascii || nonAscii[i + size] === nonAscii[i])
            ? this.#asciiCharIds.idOf(asciiGramKey(text, from, size))
            : this.#charIds.get(
                text.slice(from, starts === undefined ? i + size : starts[i + size]),
              );
        if (id !== undefined) out[n++] = id;
      }
    }
    return n;
  }

  /** The same vocabulary with these idf values (one per feature then character n-gram). */
  withIdf(idf: ArrayLike<number>): Vocabulary {
    return new Vocabulary(this.features, this.charFeatures, idf);
  }

  toFile(): VocabularyFile {
    return {
      features: [...this.features],
      ...(this.charFeatures.length === 0 ? {} : { charFeatures: [...this.charFeatures] }),
      ...(this.idf === undefined ? {} : { idf: Array.from(this.idf.subarray(1)) }),
    };
  }

  static fromFile(data: unknown): Vocabulary {
    const file = VocabularyFileSchema.parse(data);
    return new Vocabulary(file.features, file.charFeatures, file.idf);
  }
}

export interface VocabularyLimits {
  /** Minimum corpus count of a single token. */
  minTokenCount: number;
  /** Minimum corpus count of a bigram (a space inside the feature). */
  minBigramCount: number;
  /** Hard cap on features; the most frequent win (ties broken alphabetically, so builds are stable). */
  maxFeatures: number;
}

/** Builds a vocabulary from the features of a training corpus. */
export function buildVocabulary(
  featureLists: Iterable<readonly string[]>,
  limits: VocabularyLimits,
  /** Features kept whatever their count (e.g. the words of a sentiment lexicon). */
  required: ReadonlySet<string> = new Set(),
): Vocabulary {
  const counts = new Map<string, number>();
  for (const features of featureLists) {
    for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  const kept = [...counts].filter(
    ([f, n]) =>
      required.has(f) || (f.includes(" ") ? n >= limits.minBigramCount : n >= limits.minTokenCount),
  );
  // Required features first, then by count; ties alphabetically so builds are stable.
  const rank = ([f, n]: [string, number]) => (required.has(f) ? Number.MAX_SAFE_INTEGER : n);
  kept.sort((a, b) => rank(b) - rank(a) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Vocabulary(kept.slice(0, limits.maxFeatures).map(([f]) => f));
}

/** Writes the ids of the known features into `out`, in order, until it is full; returns how many. */
function writeKnownIds(
  features: readonly string[],
  idOf: (feature: string) => number | undefined,
  out: Int32Array,
): number {
  let n = 0;
  for (const f of features) {
    if (n >= out.length) break;
    const id = idOf(f);
    if (id !== undefined) out[n++] = id;
  }
  return n;
}

/** Writes the ids of known features into `out` (length = sequence length), padded as configured. */
export function encodeFeatures(
  features: readonly string[],
  idOf: (feature: string) => number | undefined,
  padding: PreprocessSettings["padding"],
  out: Int32Array,
): void {
  padIds(out, writeKnownIds(features, idOf, out), padding);
}

/** Fills `out` after its first `n` ids: repeats them, or zeros (all zeros when n is 0). */
function padIds(out: Int32Array, n: number, padding: PreprocessSettings["padding"]): void {
  const length = out.length;
  if (n === 0) {
    out.fill(PADDING_ID);
    return;
  }
  if (padding === "zero") {
    out.fill(PADDING_ID, n);
    return;
  }
  for (let i = n; i < length; i++) out[i] = out[i - n] as number;
}

/** One segment of a text's input row: its length, and how to write its known ids. */
interface Segment {
  length: number;
  /** Writes the segment's known ids into `out` (of the segment's length); returns how many. */
  writeIds(out: Int32Array): number;
}

/** The segments of one text's input row: the word sequence, then the character segment if any. */
function segmentsOf(text: string, vocabulary: Vocabulary, settings: PreprocessSettings): Segment[] {
  const tokens = tokenize(text, settings);
  const segments: Segment[] = [
    {
      length: settings.sequenceLength,
      writeIds: (out) =>
        writeKnownIds(featuresOfTokens(tokens, settings), (f) => vocabulary.idOf(f), out),
    },
  ];
  const charSegment = settings.charSegment;
  if (charSegment !== null) {
    segments.push({
      length: charSegment.sequenceLength,
      writeIds: (out) => vocabulary.writeCharSegmentIds(tokens, charSegment, out),
    });
  }
  return segments;
}

/**
 * Encodes texts into a row-major [texts.length, inputLength(settings)] id matrix: per text the
 * word sequence, then the character segment if the settings have one.
 */
export function encodeTexts(
  texts: readonly string[],
  vocabulary: Vocabulary,
  settings: PreprocessSettings,
): Int32Array {
  if (settings.weighting === "tfidf") {
    throw new Error("TF-IDF weights have no padded id row form: use encodeCompact");
  }
  const length = inputLength(settings);
  const ids = new Int32Array(texts.length * length);
  texts.forEach((text, i) => {
    let at = i * length;
    for (const segment of segmentsOf(text, vocabulary, settings)) {
      const out = ids.subarray(at, at + segment.length);
      padIds(out, segment.writeIds(out), settings.padding);
      at += segment.length;
    }
  });
  return ids;
}

/**
 * Encodes texts as compact sequences: the rows encodeTexts would write, as their non-padding ids
 * with each one's share of the row (its count / the row length), built without writing the
 * repeats. Averaging a row equals the share-weighted sum, so a network can gather the few ids a
 * tweet has instead of every position (a 40-character tweet fills its 576 positions with about
 * 170 ids). An id may appear more than once; its shares add up.
 */
export function encodeCompact(
  texts: readonly string[],
  vocabulary: Vocabulary,
  settings: PreprocessSettings,
): CompactSequences {
  const rowLength = inputLength(settings);
  const offsets = new Uint32Array(texts.length + 1);
  const ids: number[] = [];
  const shares: number[] = [];
  const known = new Int32Array(
    Math.max(settings.sequenceLength, settings.charSegment?.sequenceLength ?? 0),
  );
  const idf = settings.weighting === "tfidf" ? vocabulary.idf : undefined;
  if (settings.weighting === "tfidf" && idf === undefined) {
    throw new Error("a TF-IDF model needs the idf of its vocabulary");
  }
  texts.forEach((text, i) => {
    for (const segment of segmentsOf(text, vocabulary, settings)) {
      const n = segment.writeIds(known.subarray(0, segment.length));
      if (idf !== undefined) {
        pushTfidf(known, n, idf, ids, shares);
        continue;
      }
      // Zero padding, or no known feature: each id once, the rest is the zero padding row.
      const repeat = settings.padding === "repeat" && n > 0;
      const times = repeat ? Math.floor(segment.length / n) : 1;
      const extra = repeat ? segment.length % n : 0;
      for (let k = 0; k < n; k++) {
        ids.push(known[k] as number);
        shares.push((times + (k < extra ? 1 : 0)) / rowLength);
      }
    }
    offsets[i + 1] = ids.length;
  });
  return { offsets, ids: Int32Array.from(ids), shares: Float32Array.from(shares) };
}

/**
 * Per id, 1 + its index among the current segment's distinct ids (0: not seen yet); back to all
 * zeros after each segment. Module-wide and grown to the largest vocabulary seen: a Map per
 * segment cost a third of the serving throughput.
 */
let distinctSlots = new Int32Array(0);

/**
 * Appends a segment's distinct ids (first occurrence order) with their sublinear TF-IDF weights:
 * (1 + ln count) x idf, scaled so the segment's weights have unit L2 norm.
 */
function pushTfidf(
  known: Int32Array,
  n: number,
  idf: Float64Array,
  ids: number[],
  shares: number[],
): void {
  if (distinctSlots.length < idf.length) distinctSlots = new Int32Array(idf.length);
  const slots = distinctSlots;
  const start = ids.length;
  // Counts first (in `shares`), then the weights in place.
  for (let k = 0; k < n; k++) {
    const id = known[k] as number;
    const slot = slots[id] as number;
    if (slot === 0) {
      ids.push(id);
      shares.push(1);
      slots[id] = ids.length - start;
    } else {
      shares[start + slot - 1] = (shares[start + slot - 1] as number) + 1;
    }
  }
  let squares = 0;
  for (let j = start; j < ids.length; j++) {
    const id = ids[j] as number;
    const count = shares[j] as number;
    // (1 + ln 1) x idf is idf exactly: most features occur once, and skip the log.
    const value = count === 1 ? (idf[id] as number) : (1 + Math.log(count)) * (idf[id] as number);
    shares[j] = value;
    squares += value * value;
    slots[id] = 0;
  }
  const norm = Math.sqrt(squares);
  for (let j = start; j < ids.length; j++) shares[j] = (shares[j] as number) / norm;
}

/**
 * Smooth inverse document frequencies, ln((1 + texts) / (1 + df)) + 1 as scikit-learn's, of
 * every feature and character n-gram (id 1 onwards) over `texts`, rounded to 3 decimals (they
 * are stored in vocab.json as such, and training uses the stored values).
 */
export function inverseDocumentFrequencies(
  texts: readonly string[],
  vocabulary: Vocabulary,
  settings: PreprocessSettings,
): Float64Array {
  const df = new Float64Array(vocabulary.size);
  const seen = new Int32Array(vocabulary.size).fill(-1);
  const known = new Int32Array(
    Math.max(settings.sequenceLength, settings.charSegment?.sequenceLength ?? 0),
  );
  texts.forEach((text, i) => {
    for (const segment of segmentsOf(text, vocabulary, settings)) {
      const n = segment.writeIds(known.subarray(0, segment.length));
      for (let k = 0; k < n; k++) {
        const id = known[k] as number;
        if (seen[id] === i) continue;
        seen[id] = i;
        df[id] = (df[id] as number) + 1;
      }
    }
  });
  const idf = new Float64Array(vocabulary.size - 1);
  for (let id = 1; id < vocabulary.size; id++) {
    const value = Math.log((1 + texts.length) / (1 + (df[id] as number))) + 1;
    idf[id - 1] = Math.round(value * 1000) / 1000;
  }
  return idf;
}
