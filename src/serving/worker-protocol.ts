// Messages between the InferenceWorkerPool (main thread) and an inference worker thread.
// Predictions travel back as transferred typed arrays instead of an array of objects.
import type { BackendChoice } from "../model/backend.js";
import type { Prediction } from "../model/inference.js";
import { type LabelRule, SENTIMENT_LABELS } from "../model/labels.js";
import type { ModelMetadata, Thresholds } from "../model/metadata.js";

/** What a worker thread needs to load its model (passed as `workerData`). */
export interface InferenceWorkerConfig {
  modelDir: string;
  backend?: BackendChoice;
  thresholds?: Thresholds;
  /** The label rule asked for; a binary model folder uses thresholds whatever this says. */
  labelRule?: LabelRule;
  /** Texts predicted once after loading so the first real batch does not pay for warm-up. */
  warmUpTexts: string[];
}

export type InferenceWorkerRequest =
  | { type: "predict"; id: number; texts: string[] }
  // Test-only: the worker exits with code 1 instead of answering its next predict request.
  | { type: "crash_on_next_predict" };

export type InferenceWorkerReply =
  | {
      type: "ready";
      backend: string;
      metadata: ModelMetadata;
      /** The rule the loaded model labels with, and the thresholds it uses. */
      labelRule: LabelRule;
      thresholds: Thresholds;
      loadMs: number;
    }
  | { type: "load_failed"; message: string }
  | ({ type: "predictions"; id: number; computeMs: number } & PackedPredictions)
  | { type: "predict_failed"; id: number; message: string };

export const PREDICTION_LABELS = SENTIMENT_LABELS;

/** Predictions as transferable typed arrays: probabilities hold 3 values a text (neg, neu, pos). */
export interface PackedPredictions {
  labelIndexes: Uint8Array;
  scores: Float64Array;
  probabilities: Float64Array;
}

/** Packs predictions into transferable typed arrays. */
export function encodePredictions(predictions: readonly Prediction[]): PackedPredictions {
  const labelIndexes = new Uint8Array(predictions.length);
  const scores = new Float64Array(predictions.length);
  const probabilities = new Float64Array(predictions.length * 3);
  predictions.forEach((prediction, index) => {
    const labelIndex = PREDICTION_LABELS.indexOf(prediction.label);
    if (labelIndex < 0) throw new Error(`model returned unknown label ${String(prediction.label)}`);
    labelIndexes[index] = labelIndex;
    scores[index] = prediction.score;
    const { negative, neutral, positive } = prediction.probabilities;
    probabilities[index * 3] = negative;
    probabilities[index * 3 + 1] = neutral;
    probabilities[index * 3 + 2] = positive;
  });
  return { labelIndexes, scores, probabilities };
}

/** The buffers to transfer with packed predictions. */
export function transferList(packed: PackedPredictions): ArrayBuffer[] {
  return [packed.labelIndexes, packed.scores, packed.probabilities].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

/** Unpacks what encodePredictions packed. */
export function decodePredictions(packed: PackedPredictions): Prediction[] {
  const { labelIndexes, scores, probabilities } = packed;
  if (scores.length !== labelIndexes.length || probabilities.length !== labelIndexes.length * 3) {
    throw new Error(
      `packed predictions disagree: ${labelIndexes.length} labels, ${scores.length} scores, ${probabilities.length} probabilities`,
    );
  }
  const predictions: Prediction[] = new Array(labelIndexes.length);
  for (let index = 0; index < labelIndexes.length; index++) {
    const label = PREDICTION_LABELS[labelIndexes[index] ?? -1];
    if (label === undefined) throw new Error(`unknown label index ${labelIndexes[index]}`);
    predictions[index] = {
      label,
      score: scores[index] as number,
      probabilities: {
        negative: probabilities[index * 3] as number,
        neutral: probabilities[index * 3 + 1] as number,
        positive: probabilities[index * 3 + 2] as number,
      },
    };
  }
  return predictions;
}
