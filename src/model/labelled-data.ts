import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";

/** Gold label of a row: binary sets have only NEGATIVE/POSITIVE. */
export type GoldLabel = "negative" | "neutral" | "positive";

export interface LabelledRow {
  label: GoldLabel;
  text: string;
}

export interface LabelledFile {
  path: string;
  sha256: string;
  rows: LabelledRow[];
  /** "3class" if any row is neutral. */
  task: "binary" | "3class";
}

export class DataFileError extends Error {
  constructor(
    readonly code: "data_file_unreadable" | "data_file_invalid",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DataFileError";
  }
}

const LABELS: Readonly<Record<string, GoldLabel>> = {
  "0": "negative",
  "1": "positive",
  negative: "negative",
  neutral: "neutral",
  positive: "positive",
};

/** Parses a label cell: 0/1 or negative/neutral/positive (any case). */
export function parseGoldLabel(cell: string): GoldLabel | undefined {
  return LABELS[cell.trim().toLowerCase()];
}

/** Reads raw bytes of a file, gunzipping *.gz. Returns the bytes as stored and the content. */
export async function readMaybeGzip(path: string): Promise<{ stored: Buffer; content: Buffer }> {
  let stored: Buffer;
  try {
    stored = await readFile(path);
  } catch (cause) {
    throw new DataFileError("data_file_unreadable", `cannot read ${path}`, { cause });
  }
  try {
    return { stored, content: path.endsWith(".gz") ? gunzipSync(stored) : stored };
  } catch (cause) {
    throw new DataFileError("data_file_invalid", `${path} is not valid gzip`, { cause });
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Parses CSV text with a header into records (all values strings). */
export function parseCsvRecords(content: string, path: string): Record<string, string>[] {
  try {
    return parse(content, {
      columns: true,
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
    }) as Record<string, string>[];
  } catch (cause) {
    throw new DataFileError("data_file_invalid", `${path} is not valid CSV`, { cause });
  }
}

/** Reads a CSV (or .csv.gz) whose header has `label` and `text`; other columns are ignored. */
export async function readLabelledCsv(path: string): Promise<LabelledFile> {
  const { stored, content } = await readMaybeGzip(path);
  const records = parseCsvRecords(content.toString("utf8"), path);
  const first = records[0];
  if (first === undefined || !("label" in first) || !("text" in first)) {
    throw new DataFileError("data_file_invalid", `${path} needs a header with label and text`);
  }
  const rows: LabelledRow[] = [];
  records.forEach((record, i) => {
    const label = parseGoldLabel(record.label ?? "");
    if (label === undefined) {
      throw new DataFileError(
        "data_file_invalid",
        `${path} row ${i + 2}: unknown label ${JSON.stringify(record.label)}`,
      );
    }
    rows.push({ label, text: record.text ?? "" });
  });
  return {
    path,
    sha256: sha256Hex(stored),
    rows,
    task: rows.some((r) => r.label === "neutral") ? "3class" : "binary",
  };
}
