import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { PredictionLogLogger } from "../../src/predictions/prediction-log.js";
import {
  type PredictionRecord,
  predictionRecordOf,
  type ScoredText,
} from "../../src/predictions/prediction-record.js";
import type {
  ExportOptions,
  PredictionStore,
  StoreUsage,
} from "../../src/predictions/prediction-store.js";
import { TEST_DATABASE_URL } from "../support/service-urls.js";

// The tests' PostgreSQL; each test file works in its own schema.
export { TEST_DATABASE_URL };

let sequence = 0;

/** A scored text with distinct values, overridable field by field. */
export function scoredText(overrides: Partial<ScoredText> = {}): ScoredText {
  sequence += 1;
  return {
    requestId: `req-${sequence}`,
    issuer: "client-service",
    subject: "user-1",
    modelName: "sentiment-boe",
    modelVersion: "1.0.0",
    label: "POSITIVE",
    score: 0.75,
    latencyMs: 3.5,
    text: `what a lovely day number ${sequence}`,
    ...overrides,
  };
}

export function sampleRecord(
  overrides: Partial<ScoredText> = {},
  logText = true,
): PredictionRecord {
  return predictionRecordOf(scoredText(overrides), { logText });
}

/** The columns of a v1 `predictions` row, in order, and a record's values for them (time as ISO text). */
export const V1_COLUMNS =
  "id, created_at, request_id, issuer, subject, model_name, model_version, label, score, latency_ms, text, text_sha256";

export function v1RowValues(r: PredictionRecord): unknown[] {
  return [
    r.id,
    r.createdAt.toISOString(),
    r.requestId,
    r.issuer,
    r.subject,
    r.modelName,
    r.modelVersion,
    r.label,
    r.score,
    r.latencyMs,
    r.text,
    r.textSha256,
  ];
}

export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

export async function temporaryDirectory(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "predictions-test-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A schema name no other test run uses, and a way to drop it afterwards. */
export function uniqueSchema(): { name: string; drop(): Promise<void> } {
  const name = `test_predictions_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  return {
    name,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Passes everything to a real store and counts the inserts it was asked for. */
export class CountingStore implements PredictionStore {
  readonly batches: number[] = [];

  constructor(private readonly inner: PredictionStore) {}

  get kind(): string {
    return this.inner.kind;
  }

  migrate(): Promise<void> {
    return this.inner.migrate();
  }

  insertBatch(records: readonly PredictionRecord[]): Promise<StoreUsage | undefined> {
    this.batches.push(records.length);
    return this.inner.insertBatch(records);
  }

  exportRows(options?: ExportOptions): AsyncIterable<PredictionRecord> {
    return this.inner.exportRows(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface LogLine {
  level: "info" | "warn" | "error";
  details: Record<string, unknown>;
  message: string;
}

/** A logger that keeps what it is told, and can wait for a given message. */
export class RecordingLogger implements PredictionLogLogger {
  readonly lines: LogLine[] = [];
  private readonly waiters: Array<{ message: string; resolve(line: LogLine): void }> = [];

  info(details: object, message: string): void {
    this.push({ level: "info", details: details as Record<string, unknown>, message });
  }

  warn(details: object, message: string): void {
    this.push({ level: "warn", details: details as Record<string, unknown>, message });
  }

  error(details: object, message: string): void {
    this.push({ level: "error", details: details as Record<string, unknown>, message });
  }

  /** Resolves with the first line (past or future) carrying this message. */
  next(message: string): Promise<LogLine> {
    const seen = this.lines.find((line) => line.message === message);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ message, resolve }));
  }

  private push(line: LogLine): void {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (waiter.message === line.message) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
}

/** Resolves once `condition` holds, checking every few milliseconds; rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
