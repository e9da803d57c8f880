import { z } from "zod";
import type { PreprocessSettings } from "./preprocess.js";
import { charSegmentFeatures, featuresOfTokens, inputLength, tokenize } from "./preprocess.js";

/** Id 0 is padding (its embedding row is zero); features are numbered from 1. */
export const PADDING_ID = 0;

export const VocabularyFileSchema = z.object({
  /** `features[i]` has id i + 1. */
  features: z.array(z.string()),
  /** The character segment's n-grams, numbered after the features: `charFeatures[k]` has id features.length + 1 + k. */
  charFeatures: z.array(z.string()).optional(),
});
export type VocabularyFile = z.infer<typeof VocabularyFileSchema>;

/**
 * Maps features (words, bigrams) and, for a model with a character segment, character n-grams to
 * embedding ids, one numbering for both; unknown features are ignored.
 */
export class Vocabulary {
  readonly #ids: Map<string, number>;
  readonly #charIds: Map<string, number>;
  readonly features: readonly string[];
  readonly charFeatures: readonly string[];

  constructor(features: readonly string[], charFeatures: readonly string[] = []) {
    this.features = features;
    this.charFeatures = charFeatures;
    this.#ids = new Map(features.map((f, i) => [f, i + 1]));
    this.#charIds = new Map(charFeatures.map((f, k) => [f, features.length + 1 + k]));
  }

  /** Number of embedding rows, padding included. */
  get size(): number {
    return this.features.length + this.charFeatures.length + 1;
  }

  idOf(feature: string): number | undefined {
    return this.#ids.get(feature);
  }

  charIdOf(gram: string): number | undefined {
    return this.#charIds.get(gram);
  }

  toFile(): VocabularyFile {
    return this.charFeatures.length === 0
      ? { features: [...this.features] }
      : { features: [...this.features], charFeatures: [...this.charFeatures] };
  }

  static fromFile(data: unknown): Vocabulary {
    const file = VocabularyFileSchema.parse(data);
    return new Vocabulary(file.features, file.charFeatures);
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

/** Writes the ids of known features into `out` (length = sequence length), padded as configured. */
export function encodeFeatures(
  features: readonly string[],
  idOf: (feature: string) => number | undefined,
  padding: PreprocessSettings["padding"],
  out: Int32Array,
): void {
  const length = out.length;
  let n = 0;
  for (const f of features) {
    if (n >= length) break;
    const id = idOf(f);
    if (id !== undefined) out[n++] = id;
  }
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

/**
 * Encodes texts into a row-major [texts.length, inputLength(settings)] id matrix: per text the
 * word sequence, then the character segment if the settings have one.
 */
export function encodeTexts(
  texts: readonly string[],
  vocabulary: Vocabulary,
  settings: PreprocessSettings,
): Int32Array {
  const wordLength = settings.sequenceLength;
  const length = inputLength(settings);
  const segment = settings.charSegment;
  const ids = new Int32Array(texts.length * length);
  const idOf = (feature: string) => vocabulary.idOf(feature);
  const charIdOf = (gram: string) => vocabulary.charIdOf(gram);
  texts.forEach((text, i) => {
    const tokens = tokenize(text, settings);
    const start = i * length;
    const words = ids.subarray(start, start + wordLength);
    encodeFeatures(featuresOfTokens(tokens, settings), idOf, settings.padding, words);
    if (segment !== null) {
      const chars = ids.subarray(start + wordLength, start + length);
      encodeFeatures(charSegmentFeatures(tokens, segment), charIdOf, settings.padding, chars);
    }
  });
  return ids;
}
