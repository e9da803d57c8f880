import { accessSync, closeSync, constants, mkdirSync, openSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { writeBatchBytes } from "./log-limits.js";
import { pendingMigrations } from "./migrations.js";
import type { PredictionRecord } from "./prediction-record.js";
import { recordOfRow } from "./prediction-row.js";
import {
  DEFAULT_EXPORT_PAGE_SIZE,
  type ExportOptions,
  type PredictionStore,
  PredictionStoreError,
  type StoreUsage,
} from "./prediction-store.js";
import { SqlitePruner } from "./sqlite-pruner.js";

/**
 * Throws unless the process can create the SQLite file's directory and write in it (and write the
 * file, when it exists): checked at start, so a read-only volume stops the start instead of
 * dropping every record later.
 */
export function assertSqliteLocationWritable(path: string): void {
  const dir = dirname(path);
  const probe = join(dir, `.write-probe-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(dir, { recursive: true });
    closeSync(openSync(probe, "wx"));
    unlinkSync(probe);
  } catch (error) {
    throw new PredictionStoreError(
      "store_not_writable",
      `cannot write in the prediction log's directory ${dir}: ${(error as Error).message}`,
    );
  }
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new PredictionStoreError(
      "store_not_writable",
      `cannot write the prediction log ${path}: ${(error as Error).message}`,
    );
  }
}

/** Where the embedded store lives unless told otherwise (relative to the working directory). */
export const DEFAULT_SQLITE_PATH = "var/predictions.sqlite";

export interface SqlitePredictionStoreOptions {
  /**
   * How long a write waits for another process's lock. Short, because SQLite calls block the
   * event loop; a failed write is retried later by the PredictionLog. Default 250 ms.
   */
  busyTimeoutMs?: number;
  /** How long migrate() waits for another process that is migrating. Default 10 000 ms. */
  migrationBusyTimeoutMs?: number;
  /** Cap on file + WAL + shm in bytes (oldest records pruned); null or absent: no cap. */
  maxBytes?: number | null;
  /** Records older than this (ms) are pruned by maintain(); null or absent: kept. */
  retentionMs?: number | null;
  /** The largest write batch in bytes, reserved in the cap. Default: 200 records of 5000 characters. */
  maxBatchBytes?: number;
}

const COLUMNS = `(id, created_at, request_id, issuer, subject, model_name, model_version, label,
  score, latency_ms, text, text_sha256)`;
const ROW_PARAMETERS = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/** An INSERT of `rows` rows: one statement per 16 rows costs about 30% less per row than one per row. */
function insertStatement(rows: number): string {
  return `INSERT INTO prediction_rows ${COLUMNS}
  VALUES ${Array(rows).fill(ROW_PARAMETERS).join(", ")}
  ON CONFLICT (id) DO NOTHING`;
}

const ROWS_PER_INSERT = 16;

/**
 * A record as the values of its row, in COLUMNS order, with the time in epoch milliseconds. This
 * is also the form records cross to the writer thread in: a flat tuple clones in about a third
 * of the time of an object holding a Date.
 */
export type RecordTuple = [
  id: string,
  createdAtMs: number,
  requestId: string,
  issuer: string,
  subject: string,
  modelName: string,
  modelVersion: string,
  label: PredictionRecord["label"],
  score: number,
  latencyMs: number,
  text: string | null,
  textSha256: string,
];

export function recordTuple(r: PredictionRecord): RecordTuple {
  return [
    r.id,
    r.createdAt.getTime(),
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

/** The statement's parameters for one row: the id and hash as bytes, the time in epoch ms. */
function rowParameters(tuple: RecordTuple): unknown[] {
  const [id, createdAtMs, ...rest] = tuple;
  const values: unknown[] = [uuidBytes(id), createdAtMs, ...rest];
  values[11] = Buffer.from(tuple[11], "hex");
  return values;
}

/** A UUID's 16 bytes. */
function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll("-", ""), "hex");
}

/** The canonical 8-4-4-4-12 form of a UUID's 16 bytes. */
function uuidOfBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A `prediction_rows` row as better-sqlite3 returns it. */
interface StoredRow {
  seq: number;
  id: Buffer;
  created_at: number;
  request_id: string;
  issuer: string;
  subject: string;
  model_name: string;
  model_version: string;
  label: string;
  score: number;
  latency_ms: number;
  text: string | null;
  text_sha256: Buffer;
}

/** The record a stored row holds (the label was checked by the table's CHECK constraint). */
function recordOfStoredRow(row: StoredRow): PredictionRecord {
  return recordOfRow({
    ...row,
    id: uuidOfBytes(row.id),
    created_at: new Date(row.created_at),
    text_sha256: row.text_sha256.toString("hex"),
  });
}

/** The embedded store: one SQLite file in WAL mode (readers never block the writer). */
export class SqlitePredictionStore implements PredictionStore {
  readonly kind = "sqlite";
  private readonly db: Database.Database;
  private readonly busyTimeoutMs: number;
  private readonly migrationBusyTimeoutMs: number;
  /** Prepared on the first insert (the table exists only after migrate()), then reused. */
  private insertAll: ((rows: readonly RecordTuple[]) => void) | undefined;
  /** Created with the table (by migrate()); absent in a store that never migrated. */
  private pruner: SqlitePruner | undefined;
  private readonly pruneOptions: {
    maxBytes: number | null;
    retentionMs: number | null;
    maxBatchBytes: number;
  };

  /** Opens (creating it and its directory if needed) the database file at `path`. */
  constructor(
    readonly path: string = DEFAULT_SQLITE_PATH,
    options: SqlitePredictionStoreOptions = {},
  ) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? 250;
    this.migrationBusyTimeoutMs = options.migrationBusyTimeoutMs ?? 10_000;
    this.pruneOptions = {
      maxBytes: options.maxBytes ?? null,
      retentionMs: options.retentionMs ?? null,
      maxBatchBytes:
        options.maxBatchBytes ?? writeBatchBytes({ maxTextLength: 5000, logText: true }),
    };
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: this.migrationBusyTimeoutMs });
    this.db.pragma("journal_mode = WAL");
    // NORMAL is durable against process crashes in WAL mode; only an OS crash may lose the tail.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
  }

  async migrate(): Promise<void> {
    this.assertOpen();
    this.db.pragma(`busy_timeout = ${this.migrationBusyTimeoutMs}`);
    try {
      this.useIncrementalVacuum();
      // BEGIN IMMEDIATE takes the write lock first, so a second process waits here and then
      // sees the versions the first one recorded.
      this.db
        .transaction(() => {
          this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at TEXT NOT NULL
          )`);
          const applied = this.db
            .prepare("SELECT version FROM schema_migrations")
            .pluck()
            .all() as number[];
          const record = this.db.prepare(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
          );
          for (const migration of pendingMigrations(applied)) {
            for (const statement of migration.sqlite) this.db.exec(statement);
            record.run(migration.version, migration.description, new Date().toISOString());
          }
        })
        .immediate();
    } finally {
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
    this.pruner ??= new SqlitePruner(this.db, this.path, this.pruneOptions);
  }

  /**
   * Freed pages must be reusable and returnable to the filesystem: auto_vacuum = INCREMENTAL.
   * A new file takes it before its first table; an existing one (schema v1 before the cap) needs
   * one VACUUM, which rewrites the file (and briefly needs as much free space again).
   */
  private useIncrementalVacuum(): void {
    const INCREMENTAL = 2;
    if (this.db.pragma("auto_vacuum", { simple: true }) === INCREMENTAL) return;
    this.db.pragma("auto_vacuum = INCREMENTAL");
    const tables = this.db
      .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")
      .pluck()
      .get() as number;
    if (tables > 0) this.db.exec("VACUUM");
  }

  async insertBatch(records: readonly PredictionRecord[]): Promise<StoreUsage | undefined> {
    return this.insertRows(records.map(recordTuple));
  }

  /**
   * insertBatch for records already in their row form (what the writer thread receives); then
   * prunes for the cap, after the write's transaction.
   */
  async insertRows(rows: readonly RecordTuple[]): Promise<StoreUsage | undefined> {
    this.assertOpen();
    if (rows.length === 0) return undefined;
    this.insertAll ??= this.prepareInsertAll();
    this.insertAll(rows);
    return this.pruner?.afterInsert();
  }

  /** Deletes records past retention and enforces the cap (time-boxed; see SqlitePruner). */
  async maintain(nowMs: number): Promise<StoreUsage | undefined> {
    this.assertOpen();
    return this.pruner?.maintain(nowMs);
  }

  private prepareInsertAll(): (rows: readonly RecordTuple[]) => void {
    const insertOne = this.db.prepare(insertStatement(1));
    const insertMany = this.db.prepare(insertStatement(ROWS_PER_INSERT));
    return this.db.transaction((batch: readonly RecordTuple[]) => {
      let next = 0;
      for (; next + ROWS_PER_INSERT <= batch.length; next += ROWS_PER_INSERT) {
        insertMany.run(batch.slice(next, next + ROWS_PER_INSERT).flatMap(rowParameters));
      }
      for (; next < batch.length; next++) insertOne.run(rowParameters(batch[next] as RecordTuple));
    });
  }

  async *exportRows(options: ExportOptions = {}): AsyncIterable<PredictionRecord> {
    const pageSize = options.pageSize ?? DEFAULT_EXPORT_PAGE_SIZE;
    const since = options.since?.getTime() ?? Number.MIN_SAFE_INTEGER;
    const until = options.until?.getTime() ?? Number.MAX_SAFE_INTEGER;
    const page = this.db.prepare(
      `SELECT * FROM prediction_rows
       WHERE seq > ? AND created_at >= ? AND created_at < ?
       ORDER BY seq LIMIT ?`,
    );
    let after = 0;
    for (;;) {
      this.assertOpen();
      const rows = page.all(after, since, until, pageSize) as StoredRow[];
      for (const row of rows) yield recordOfStoredRow(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < pageSize) return;
      after = last.seq;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private assertOpen(): void {
    if (!this.db.open) throw new PredictionStoreError("store_closed", "the store is closed");
  }
}
