import type { PredictionRecord } from "./prediction-record.js";

/** Which rows an export reads: `since` inclusive, `until` exclusive. */
export interface ExportOptions {
  since?: Date;
  until?: Date;
  /** Rows fetched per query; exports stream page by page. Default 1000. */
  pageSize?: number;
}

/** Where the PredictionLog writes: a store, or a store running in a worker thread. */
export interface PredictionSink {
  /** "sqlite" or "postgres", for logs. */
  readonly kind: string;
  /** Creates or upgrades the schema; idempotent and safe when several processes start at once. */
  migrate(): Promise<void>;
  /** Writes all records in one transaction; a record whose id is already stored is skipped. */
  insertBatch(records: readonly PredictionRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Durable storage of prediction records (SQLite by default, PostgreSQL for production). */
export interface PredictionStore extends PredictionSink {
  /** Stored records in insertion order. */
  exportRows(options?: ExportOptions): AsyncIterable<PredictionRecord>;
}

export type PredictionStoreErrorCode =
  | "unsupported_database_url"
  | "invalid_store_option"
  | "store_closed"
  | "store_thread_failed";

/** A misconfigured or closed store; `code` is stable. */
export class PredictionStoreError extends Error {
  constructor(
    readonly code: PredictionStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PredictionStoreError";
  }
}

export const DEFAULT_EXPORT_PAGE_SIZE = 1000;
