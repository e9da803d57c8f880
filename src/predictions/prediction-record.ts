import { createHash, randomUUID } from "node:crypto";
import type { SentimentLabel } from "../model/labels.js";

/** One scored text as it is kept for later retraining and audit. */
export interface PredictionRecord {
  /** Unique per record; makes a retried write idempotent. */
  id: string;
  createdAt: Date;
  requestId: string;
  issuer: string;
  subject: string;
  modelName: string;
  modelVersion: string;
  label: SentimentLabel;
  /** The model's score, P(positive). */
  score: number;
  latencyMs: number;
  /** The scored text, or null when text logging is off. */
  text: string | null;
  /** SHA-256 (hex) of the UTF-8 text, always kept. */
  textSha256: string;
}

/** What the scoring path knows about one scored text: a record before its id, hash and text policy. */
export type ScoredText = Omit<PredictionRecord, "id" | "createdAt" | "text" | "textSha256"> & {
  /** Default: now, by the clock given to predictionRecordOf. */
  createdAt?: Date;
  text: string;
};

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Builds the record to log; keeps the text only when `logText` is true (else only its hash). */
export function predictionRecordOf(
  scored: ScoredText,
  options: { logText: boolean; clock?: () => number },
): PredictionRecord {
  return {
    id: randomUUID(),
    createdAt: scored.createdAt ?? new Date((options.clock ?? Date.now)()),
    requestId: scored.requestId,
    issuer: scored.issuer,
    subject: scored.subject,
    modelName: scored.modelName,
    modelVersion: scored.modelVersion,
    label: scored.label,
    score: scored.score,
    latencyMs: scored.latencyMs,
    text: options.logText ? scored.text : null,
    textSha256: sha256Hex(scored.text),
  };
}
