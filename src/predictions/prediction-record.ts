import { hash, randomUUID } from "node:crypto";
import type { SentimentLabel } from "../model/labels.js";

/** One scored text as it is kept for later retraining and audit. */
export interface PredictionRecord {
  /** Unique per record (a time-ordered UUID, see uuidV7); makes a retried write idempotent. */
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

/**
 * An RFC 9562 version-7 UUID: 48 bits of Unix milliseconds, then random bits. Ids that grow with
 * time land at the end of the stores' unique index instead of at random pages, so inserts stay
 * cheap as the table grows. The random bits come from randomUUID (a v4 UUID, drawn from Node's
 * cached entropy): its first 48 bits and version digit are replaced, its variant bits kept.
 */
export function uuidV7(now: number = Date.now()): string {
  return `${timePrefix(now)}7${randomUUID().slice(15)}`;
}

// The "tttttttt-tttt-" prefix of the last millisecond asked for: the records of one request
// share it, and formatting it is most of an id's cost.
let prefixMillis = Number.NaN;
let prefix = "";

function timePrefix(now: number): string {
  if (now !== prefixMillis) {
    const time = now.toString(16).padStart(12, "0");
    prefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-`;
    prefixMillis = now;
  }
  return prefix;
}

export function sha256Hex(text: string): string {
  // The one-shot hash (Node >= 20.12) costs about a third of createHash().update().digest().
  return hash("sha256", text, "hex");
}

/** Builds the record to log; keeps the text only when `logText` is true (else only its hash). */
export function predictionRecordOf(
  scored: ScoredText,
  options: { logText: boolean; clock?: () => number },
): PredictionRecord {
  const createdAt = scored.createdAt ?? new Date((options.clock ?? Date.now)());
  return {
    id: uuidV7(createdAt.getTime()),
    createdAt,
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
