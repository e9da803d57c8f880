/** Response shapes of the service's /v1 API, as it sends them. */

export type SentimentLabel = "NEGATIVE" | "NEUTRAL" | "POSITIVE";

/** Class probabilities (sum 1): a three-way model's own; absent from older versions of the service. */
export interface SentimentProbabilities {
  readonly negative: number;
  readonly neutral: number;
  readonly positive: number;
}

export interface Prediction {
  readonly label: SentimentLabel;
  /** Probability that the text is positive rather than negative, in [0, 1]. */
  readonly score: number;
  readonly probabilities?: SentimentProbabilities;
}

export interface ModelRef {
  readonly name: string;
  readonly version: string;
}

/** The answer to one text (POST /v1/sentiment). */
export interface SentimentResult extends Prediction {
  /** Seconds the service spent on the request. */
  readonly elapsed_time: number;
  readonly model: ModelRef;
}

/** A served model's metadata (GET /v1/models): metrics, thresholds, backend and more. */
export interface ModelInfo extends ModelRef {
  readonly backend: string;
  readonly description?: string;
  readonly thresholds?: { readonly negativeBelow: number; readonly positiveAbove: number };
  readonly [field: string]: unknown;
}
