import type { SentimentLabel } from "../model/labels.js";
import type { PredictionRecord } from "./prediction-record.js";

/** A `predictions` row in its v1 shape: as PostgreSQL returns it, and as SQLite rows are decoded to. */
export interface PredictionRow<Seq extends number | string> {
  seq: Seq;
  id: string;
  /** A Date from PostgreSQL, an ISO-8601 string from SQLite. */
  created_at: Date | string;
  request_id: string;
  issuer: string;
  subject: string;
  model_name: string;
  model_version: string;
  label: string;
  score: number;
  latency_ms: number;
  text: string | null;
  text_sha256: string;
}

/** The record a stored row holds (the label was checked by the table's CHECK constraint). */
export function recordOfRow(row: PredictionRow<number | string>): PredictionRecord {
  return {
    id: row.id,
    createdAt: new Date(row.created_at),
    requestId: row.request_id,
    issuer: row.issuer,
    subject: row.subject,
    modelName: row.model_name,
    modelVersion: row.model_version,
    label: row.label as SentimentLabel,
    score: row.score,
    latencyMs: row.latency_ms,
    text: row.text,
    textSha256: row.text_sha256,
  };
}
