import type { PredictionRecord } from "./prediction-record.js";

/** Which rows an export reads: `since` inclusive, `until` exclusive. */
export interface ExportOptions {
  since?: Date;
  until?: Date;
  /** Rows fetched per query; exports stream page by page. Default 1000. */
  pageSize?: number;
}

/** What a store did to stay within its limits, and how full it is, after a write or maintenance. */
export interface StoreUsage {
  /** Rows deleted by this call to keep under the size cap. */
  prunedByCap: number;
  /** Rows deleted (or dropped with their partitions) by this call because they were past retention. */
  prunedByRetention: number;
  /** Creation time (epoch ms) of the newest row the cap deleted in this call; null if none. */
  capPrunedNewestMs: number | null;
  /** Bytes the store takes on disk (SQLite: file + WAL + shm); null when unknown. */
  bytesOnDisk: number | null;
  /** Creation time (epoch ms) of the oldest stored record; null when empty or unknown. */
  oldestRecordMs: number | null;
  /** Longest single pruning step of this call in ms (0 when nothing was pruned). */
  longestPruneStepMs: number;
}

/** Where the PredictionLog writes: a store, or a store running in a worker thread. */
export interface PredictionSink {
  /** "sqlite" or "postgres", for logs. */
  readonly kind: string;
  /** Creates or upgrades the schema; idempotent and safe when several processes start at once. */
  migrate(): Promise<void>;
  /**
   * Writes all records in one transaction; a record whose id is already stored is skipped.
   * A store with a size cap prunes after the write and says what it did.
   */
  insertBatch(records: readonly PredictionRecord[]): Promise<StoreUsage | undefined>;
  /** Applies retention (and the cap) as of `nowMs`; called periodically by the PredictionLog. */
  maintain?(nowMs: number): Promise<StoreUsage | undefined>;
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
  | "store_not_writable"
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
