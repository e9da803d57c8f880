// Messages between the InferenceWorkerPool (main thread) and an inference worker thread.
// Predictions travel back as two transferred typed arrays instead of an array of objects.
import type { BackendChoice } from "../model/backend.js";
import type { Prediction } from "../model/inference.js";
import type { ModelMetadata, Thresholds } from "../model/metadata.js";

/** What a worker thread needs to load its model (passed as `workerData`). */
export interface InferenceWorkerConfig {
  modelDir: string;
  backend?: BackendChoice;
  thresholds?: Thresholds;
  /** Texts predicted once after loading so the first real batch does not pay for warm-up. */
  warmUpTexts: string[];
}

export type InferenceWorkerRequest =
  | { type: "predict"; id: number; texts: string[] }
  // Test-only: the worker exits with code 1 instead of answering its next predict request.
  | { type: "crash_on_next_predict" };

export type InferenceWorkerReply =
  | { type: "ready"; backend: string; metadata: ModelMetadata; loadMs: number }
  | { type: "load_failed"; message: string }
  | {
      type: "predictions";
      id: number;
      labelIndexes: Uint8Array;
      scores: Float64Array;
      computeMs: number;
    }
  | { type: "predict_failed"; id: number; message: string };

export const PREDICTION_LABELS: readonly Prediction["label"][] = [
  "NEGATIVE",
  "NEUTRAL",
  "POSITIVE",
];

/** Packs predictions into transferable typed arrays. */
export function encodePredictions(predictions: readonly Prediction[]): {
  labelIndexes: Uint8Array;
  scores: Float64Array;
} {
  const labelIndexes = new Uint8Array(predictions.length);
  const scores = new Float64Array(predictions.length);
  predictions.forEach((prediction, index) => {
    const labelIndex = PREDICTION_LABELS.indexOf(prediction.label);
    if (labelIndex < 0) throw new Error(`model returned unknown label ${String(prediction.label)}`);
    labelIndexes[index] = labelIndex;
    scores[index] = prediction.score;
  });
  return { labelIndexes, scores };
}

/** Unpacks what encodePredictions packed. */
export function decodePredictions(labelIndexes: Uint8Array, scores: Float64Array): Prediction[] {
  const predictions: Prediction[] = new Array(labelIndexes.length);
  for (let index = 0; index < labelIndexes.length; index++) {
    const label = PREDICTION_LABELS[labelIndexes[index] ?? -1];
    if (label === undefined) throw new Error(`unknown label index ${labelIndexes[index]}`);
    predictions[index] = { label, score: scores[index] ?? Number.NaN };
  }
  return predictions;
}
