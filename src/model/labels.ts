import type { Thresholds } from "./metadata.js";

export type SentimentLabel = "NEGATIVE" | "NEUTRAL" | "POSITIVE";

/** Maps P(positive) to a label: below `negativeBelow` NEGATIVE, above `positiveAbove` POSITIVE. */
export function labelForScore(score: number, thresholds: Thresholds): SentimentLabel {
  if (score < thresholds.negativeBelow) return "NEGATIVE";
  if (score > thresholds.positiveAbove) return "POSITIVE";
  return "NEUTRAL";
}
