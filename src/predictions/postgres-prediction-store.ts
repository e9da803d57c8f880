import pg from "pg";
import { pendingMigrations } from "./migrations.js";
import type { PredictionRecord } from "./prediction-record.js";
import { type PredictionRow, recordOfRow } from "./prediction-row.js";
import {
  DEFAULT_EXPORT_PAGE_SIZE,
  type ExportOptions,
  type PredictionStore,
  PredictionStoreError,
} from "./prediction-store.js";

export interface PostgresPredictionStoreOptions {
  /** Schema holding the tables (created if missing). Default: the connection's search_path. */
  schema?: string;
  /** Longest wait for a connection. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Longest wait for one query before it counts as failed. Default 15 000 ms. */
  queryTimeoutMs?: number;
  /** Daily partitions wholly older than this (ms) are dropped by maintain(); null or absent: kept. */
  retentionMs?: number | null;
  /** Told about errors of idle connections (for instance the server went away). */
  onConnectionError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// One statement for the whole batch: arrays unnested into rows, so the parameter count stays 12.
const INSERT = `INSERT INTO predictions
  (id, created_at, request_id, issuer, subject, model_name, model_version, label, score,
   latency_ms, text, text_sha256)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
    $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::text[])
  ON CONFLICT (id) DO NOTHING`;

/** PostgreSQL cannot store NUL in text; a record carrying one must not block the log forever. */
function storable(value: string): string {
  return value.includes("\u0000") ? value.replaceAll("\u0000", "\ufffd") : value;
}

/** The production store: a small connection pool to PostgreSQL (`DATABASE_URL`). */
export class PostgresPredictionStore implements PredictionStore {
  readonly kind = "postgres";
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private closed = false;

  constructor(connectionString: string, options: PostgresPredictionStoreOptions = {}) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new PredictionStoreError(
        "invalid_store_option",
        "the schema must be a lower-case SQL identifier",
      );
    }
    this.schema = options.schema;
    this.pool = new pg.Pool({
      connectionString,
      max: 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      idleTimeoutMillis: 30_000,
      ...(this.schema === undefined ? {} : { options: `-c search_path=${this.schema}` }),
    });
    // An idle connection dropped by the server must not crash the process.
    this.pool.on("error", (error) => options.onConnectionError?.(error));
  }

  async migrate(): Promise<void> {
    this.assertOpen();
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query("BEGIN");
      // Serialises concurrent starts: the second process waits, then finds nothing to do.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
        `sentiment-api:predictions:${this.schema ?? ""}`,
      ]);
      if (this.schema !== undefined) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      }
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        description TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const applied = await client.query<{ version: number }>(
        "SELECT version FROM schema_migrations",
      );
      for (const migration of pendingMigrations(applied.rows.map((row) => row.version))) {
        for (const statement of migration.postgres) await client.query(statement);
        await client.query("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", [
          migration.version,
          migration.description,
        ]);
      }
      await client.query("COMMIT");
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      // Releasing with the error discards the connection, which may be broken.
      client.release(failure);
    }
  }

  async insertBatch(records: readonly PredictionRecord[]): Promise<undefined> {
    this.assertOpen();
    if (records.length === 0) return undefined;
    await this.pool.query(INSERT, [
      records.map((r) => r.id),
      records.map((r) => r.createdAt.toISOString()),
      records.map((r) => storable(r.requestId)),
      records.map((r) => storable(r.issuer)),
      records.map((r) => storable(r.subject)),
      records.map((r) => storable(r.modelName)),
      records.map((r) => storable(r.modelVersion)),
      records.map((r) => r.label),
      records.map((r) => r.score),
      records.map((r) => r.latencyMs),
      records.map((r) => (r.text === null ? null : storable(r.text))),
      records.map((r) => r.textSha256),
    ]);
    return undefined;
  }

  async *exportRows(options: ExportOptions = {}): AsyncIterable<PredictionRecord> {
    const pageSize = options.pageSize ?? DEFAULT_EXPORT_PAGE_SIZE;
    let after = "0";
    for (;;) {
      this.assertOpen();
      const { rows } = await this.pool.query<PredictionRow<string>>(
        `SELECT * FROM predictions
         WHERE seq > $1
           AND ($2::timestamptz IS NULL OR created_at >= $2)
           AND ($3::timestamptz IS NULL OR created_at < $3)
         ORDER BY seq LIMIT $4`,
        [
          after,
          options.since?.toISOString() ?? null,
          options.until?.toISOString() ?? null,
          pageSize,
        ],
      );
      for (const row of rows) yield recordOfRow(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < pageSize) return;
      after = last.seq;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new PredictionStoreError("store_closed", "the store is closed");
  }
}
