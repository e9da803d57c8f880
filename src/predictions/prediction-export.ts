import type { PredictionRecord } from "./prediction-record.js";

export type ExportFormat = "csv" | "jsonl";

/**
 * CSV columns. `label,text` come first and the label is lower-case so that `npm run train` and
 * `npm run evaluate` (which read `label,text` and ignore the rest) accept the file as it is.
 */
export const CSV_COLUMNS = [
  "label",
  "text",
  "score",
  "model",
  "model_version",
  "created_at",
  "request_id",
  "issuer",
  "subject",
  "latency_ms",
  "text_sha256",
] as const;

/** One CSV field, quoted per RFC 4180 when it holds a comma, quote, CR or LF. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvHeaderLine(): string {
  return `${CSV_COLUMNS.join(",")}\r\n`;
}

/** The CSV line of a record, or undefined for a record stored without its text. */
export function csvLine(record: PredictionRecord): string | undefined {
  if (record.text === null) return undefined;
  const fields: Record<(typeof CSV_COLUMNS)[number], string> = {
    label: record.label.toLowerCase(),
    text: record.text,
    score: String(record.score),
    model: record.modelName,
    model_version: record.modelVersion,
    created_at: record.createdAt.toISOString(),
    request_id: record.requestId,
    issuer: record.issuer,
    subject: record.subject,
    latency_ms: String(record.latencyMs),
    text_sha256: record.textSha256,
  };
  return `${CSV_COLUMNS.map((column) => csvField(fields[column])).join(",")}\r\n`;
}

/** One JSON object per line; records without text keep `text: null` and their hash. */
export function jsonLine(record: PredictionRecord): string {
  return `${JSON.stringify({
    id: record.id,
    created_at: record.createdAt.toISOString(),
    request_id: record.requestId,
    issuer: record.issuer,
    subject: record.subject,
    model: record.modelName,
    model_version: record.modelVersion,
    label: record.label.toLowerCase(),
    score: record.score,
    latency_ms: record.latencyMs,
    text: record.text,
    text_sha256: record.textSha256,
  })}\n`;
}

export interface ExportSummary {
  /** Data rows written (the CSV header not counted). */
  rows: number;
  /** CSV only: records stored as a hash only, which a training set cannot use. */
  skippedWithoutText: number;
}

/** Streams records to `write` in the given format. */
export async function writePredictionExport(
  records: AsyncIterable<PredictionRecord>,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
): Promise<ExportSummary> {
  const summary: ExportSummary = { rows: 0, skippedWithoutText: 0 };
  if (format === "csv") await write(csvHeaderLine());
  for await (const record of records) {
    const line = format === "csv" ? csvLine(record) : jsonLine(record);
    if (line === undefined) {
      summary.skippedWithoutText += 1;
      continue;
    }
    await write(line);
    summary.rows += 1;
  }
  return summary;
}
