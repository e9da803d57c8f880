import { createHash, randomFillSync } from "node:crypto";
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
 * cheap as the table grows (about 15 vs 20-28 µs per SQLite row here, and the random ones get
 * slower with size).
 */
export function uuidV7(now: number = Date.now()): string {
  const bytes = randomFillSync(Buffer.alloc(16));
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
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
