import { mulberry32, shuffleInPlace } from "./bag-of-embeddings.js";
import type { GoldLabel } from "./labelled-data.js";
import { DataFileError, parseCsvRecords, readMaybeGzip, sha256Hex } from "./labelled-data.js";

/** A training example: target is P(positive) (0, 1, or 0.5 for neutral), weight scales its loss. */
export interface TrainingExample {
  text: string;
  target: number;
  weight: number;
  /** Where the row came from, for the metadata and for splitting. */
  origin: string;
  /** Sentiment140 rows: the repository the row was read from. */
  source?: string;
  /** Sentiment140 rows with metadata: month of the tweet ("Apr", "May", "Jun"). */
  month?: string;
  /**
   * The row only says negative vs positive (Sentiment140's emoticon labels, a lexicon): a
   * three-way model learns polarity from it, never "not neutral".
   */
  polarityOnly?: boolean;
}

/** sha256 of semeval2017_task4a/train2013_2016_3class.csv, whose row ranges are below. */
export const SEMEVAL_TRAIN_SHA256 =
  "a80491bed5f1103aa0a887d1a3f993e5b0183a42290dc8f0a98ef874e2abae6a";

/**
 * Whole SemEval sub-files held out for validation, as row ranges [from, to) of the merged
 * training file (it keeps the sub-files in order; the ranges were located by matching the
 * originals' first and last tweets). Test sets of three years: like the 2017 test set, their
 * topics differ from the training files', so a choice made on them is not a random split's
 * optimistic one.
 */
export const SEMEVAL_VALIDATION_SUBFILES: readonly { name: string; from: number; to: number }[] = [
  { name: "twitter-2014test", from: 14819, to: 16672 },
  { name: "twitter-2015test", from: 16759, to: 19137 },
  { name: "twitter-2016devtest", from: 27100, to: 29089 },
];

/** Splits the merged SemEval training rows into [validation sub-files, the rest]. */
export function splitSemEvalValidation<T>(rows: readonly T[], sha256: string): [T[], T[]] {
  if (sha256 !== SEMEVAL_TRAIN_SHA256) {
    throw new Error(
      `the SemEval training file has sha256 ${sha256}, not ${SEMEVAL_TRAIN_SHA256}: its validation row ranges are unknown`,
    );
  }
  const held: T[] = [];
  const rest: T[] = [];
  rows.forEach((row, i) => {
    const inValidation = SEMEVAL_VALIDATION_SUBFILES.some((f) => i >= f.from && i < f.to);
    (inValidation ? held : rest).push(row);
  });
  return [held, rest];
}

/**
 * Sentiment140 repositories whose files were uniform random samples of the 1.6M corpus
 * (dates and ids spread over the whole file, about half of each class). Everything else in
 * train_partial is a head/tail slice with topic and date shortcuts.
 */
export const UNIFORM_SENTIMENT140_SOURCES: readonly string[] = [
  "sampage10/TwitterSentimentAnalysis",
  "Hayredin950/twitter-sentiment-analyzer",
  "lyadav44/Pyspark_kafka_tableau-SentimentAnalysis",
];

export interface Sentiment140Rows {
  sha256: string;
  uniform: TrainingExample[];
  biased: TrainingExample[];
}

/** Reads train_partial_meta.csv(.gz) (polarity 0/4, text, source_repo) split by sampling origin. */
export async function readSentiment140Partial(path: string): Promise<Sentiment140Rows> {
  const { stored, content } = await readMaybeGzip(path);
  const records = parseCsvRecords(content.toString("utf8"), path);
  const uniform: TrainingExample[] = [];
  const biased: TrainingExample[] = [];
  for (const r of records) {
    const target = r.polarity === "4" ? 1 : r.polarity === "0" ? 0 : undefined;
    if (target === undefined || r.text === undefined || r.source_repo === undefined) {
      throw new DataFileError(
        "data_file_invalid",
        `${path}: needs polarity (0/4), text, source_repo`,
      );
    }
    const isUniform = UNIFORM_SENTIMENT140_SOURCES.includes(r.source_repo);
    const month = r.date?.slice(4, 7);
    const example: TrainingExample = {
      text: r.text,
      target,
      weight: 1,
      origin: isUniform ? "s140_uniform" : "s140_biased",
      source: r.source_repo,
      ...(month ? { month } : {}),
    };
    (isUniform ? uniform : biased).push(example);
  }
  return { sha256: sha256Hex(stored), uniform, biased };
}

export function targetOf(label: GoldLabel): number {
  return label === "positive" ? 1 : label === "negative" ? 0 : 0.5;
}

/** Seeded shuffle (Fisher-Yates) returning a new array. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  shuffleInPlace(out, mulberry32(seed));
  return out;
}

/** Splits off `size` examples chosen by a seeded shuffle; returns [held out, rest]. */
export function holdOut<T>(items: readonly T[], size: number, seed: number): [T[], T[]] {
  const s = shuffled(items, seed);
  return [s.slice(0, size), s.slice(size)];
}

/**
 * Drops training examples whose normalised text (via `key`) also occurs in the validation
 * set, so near-duplicates cannot leak labels across the split.
 */
export function withoutLeaks(
  train: readonly TrainingExample[],
  validation: readonly TrainingExample[],
  key: (text: string) => string,
): TrainingExample[] {
  const held = new Set(validation.map((e) => key(e.text)));
  return train.filter((e) => !held.has(key(e.text)));
}

/**
 * Importance weights that give the examples of `biased` the (label, month) distribution of
 * `reference`, so the month a tweet was written carries no label information. Rows without a
 * month keep their weight times `undatedWeight`.
 */
export function balanceMonths(
  biased: readonly TrainingExample[],
  reference: readonly TrainingExample[],
  undatedWeight: number,
): TrainingExample[] {
  const key = (e: TrainingExample) => `${e.target}|${e.month}`;
  const share = (rows: readonly TrainingExample[]) => {
    const counts = new Map<string, number>();
    const perLabel = new Map<number, number>();
    for (const e of rows) {
      if (e.month === undefined) continue;
      counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
      perLabel.set(e.target, (perLabel.get(e.target) ?? 0) + 1);
    }
    return (e: TrainingExample) => (counts.get(key(e)) ?? 0) / (perLabel.get(e.target) ?? 1);
  };
  const referenceShare = share(reference);
  const biasedShare = share(biased);
  return biased.map((e) => {
    if (e.month === undefined) return { ...e, weight: e.weight * undatedWeight };
    const ratio = referenceShare(e) / Math.max(1e-9, biasedShare(e));
    return { ...e, weight: e.weight * ratio };
  });
}

/**
 * Scales weights so negative and positive examples carry the same total weight (neutral
 * examples unchanged): Sentiment140 itself is balanced, the training mix is not.
 */
export function balanceClasses(examples: readonly TrainingExample[]): TrainingExample[] {
  let negative = 0;
  let positive = 0;
  for (const e of examples) {
    if (e.target < 0.5) negative += e.weight;
    else if (e.target > 0.5) positive += e.weight;
  }
  if (negative === 0 || positive === 0) return examples.slice();
  const half = (negative + positive) / 2;
  return examples.map((e) =>
    e.target < 0.5
      ? { ...e, weight: (e.weight * half) / negative }
      : e.target > 0.5
        ? { ...e, weight: (e.weight * half) / positive }
        : e,
  );
}
