import type { Thresholds } from "./metadata.js";

export type SentimentLabel = "NEGATIVE" | "NEUTRAL" | "POSITIVE";

/** The three labels in the order probabilities are listed and packed. */
export const SENTIMENT_LABELS: readonly SentimentLabel[] = ["NEGATIVE", "NEUTRAL", "POSITIVE"];

/**
 * How a prediction's label is chosen: `model` takes the 3-class model's most probable class;
 * `thresholds` cuts the score at the thresholds (the notebook's rule, and the only rule a binary
 * model has).
 */
export const LABEL_RULES = ["model", "thresholds"] as const;
export type LabelRule = (typeof LABEL_RULES)[number];

/** Probabilities of the three classes; they sum to 1. */
export interface ClassProbabilities {
  negative: number;
  neutral: number;
  positive: number;
}

/** Maps P(positive) to a label: below `negativeBelow` NEGATIVE, above `positiveAbove` POSITIVE. */
export function labelForScore(score: number, thresholds: Thresholds): SentimentLabel {
  if (score < thresholds.negativeBelow) return "NEGATIVE";
  if (score > thresholds.positiveAbove) return "POSITIVE";
  return "NEUTRAL";
}

/**
 * The most probable class. Any tie goes to NEUTRAL, and so does a polar class whose lead over
 * the other is too small to move the score off 0.5 in floating point (0.5 vs 0.49999999999999994
 * gives 0.5 exactly): POSITIVE always has score > 0.5 and NEGATIVE always score < 0.5.
 */
export function labelForProbabilities(p: ClassProbabilities): SentimentLabel {
  const score = scoreOfProbabilities(p);
  if (p.positive > p.negative && p.positive > p.neutral && score > 0.5) return "POSITIVE";
  if (p.negative > p.positive && p.negative > p.neutral && score < 0.5) return "NEGATIVE";
  return "NEUTRAL";
}

/** P(positive | not neutral) = positive / (positive + negative); 0.5 when both are 0. */
export function scoreOfProbabilities(p: ClassProbabilities): number {
  const polar = p.positive + p.negative;
  return polar > 0 ? p.positive / polar : 0.5;
}

/**
 * Cleans a model's raw class outputs into probabilities that sum to 1: negative or non-finite
 * values count as 0 and the rest are renormalised (float32 softmax sums drift by ~1e-7). All
 * zero (a corrupt model) gives certain NEUTRAL rather than an invalid number.
 */
export function normaliseProbabilities(
  negative: number,
  neutral: number,
  positive: number,
): ClassProbabilities {
  const clean = (x: number) => (Number.isFinite(x) && x > 0 ? x : 0);
  const n = clean(negative);
  const u = clean(neutral);
  const p = clean(positive);
  const sum = n + u + p;
  if (!(sum > 0) || !Number.isFinite(sum)) return { negative: 0, neutral: 1, positive: 0 };
  return { negative: n / sum, neutral: u / sum, positive: p / sum };
}

/**
 * What a binary model's score says as probabilities: it has no neutral class, so neutral is 0,
 * positive is the score and negative its complement.
 */
export function probabilitiesOfBinaryScore(score: number): ClassProbabilities {
  return { negative: 1 - score, neutral: 0, positive: score };
}
