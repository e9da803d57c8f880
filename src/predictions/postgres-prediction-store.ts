import pg from "pg";
import { pendingMigrations } from "./migrations.js";
import type { PredictionRecord } from "./prediction-record.js";
import { type PredictionRow, recordOfRow } from "./prediction-row.js";
import {
  DEFAULT_EXPORT_PAGE_SIZE,
  type ExportOptions,
  type PredictionStore,
  PredictionStoreError,
  type StoreUsage,
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
  /** Milliseconds since the epoch (which day partitions migrate() creates). Default Date.now. */
  clock?: () => number;
}

const DAY_MS = 86_400_000;
/** Daily partitions kept ready ahead of today, so a write never waits for one. */
const PARTITION_DAYS_AHEAD = 2;
const PARTITION_NAME = /^predictions_p(\d{4})(\d{2})(\d{2})$/;

/** `predictions_pYYYYMMDD` for the UTC day holding `ms`, and that day's bounds. */
export function dayPartition(ms: number): { name: string; fromMs: number; toMs: number } {
  const fromMs = Math.floor(ms / DAY_MS) * DAY_MS;
  const day = new Date(fromMs).toISOString().slice(0, 10).replaceAll("-", "");
  return { name: `predictions_p${day}`, fromMs, toMs: fromMs + DAY_MS };
}

/** The end (exclusive, epoch ms) of the day a partition name covers; undefined for other tables. */
export function partitionEndMs(name: string): number | undefined {
  const match = PARTITION_NAME.exec(name);
  if (match === null) return undefined;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) + DAY_MS;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// One statement for the whole batch: arrays unnested into rows, so the parameter count stays 12.
const INSERT = `INSERT INTO predictions
  (id, created_at, request_id, issuer, subject, model_name, model_version, label, score,
   latency_ms, text, text_sha256)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
    $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::text[])
  ON CONFLICT (id, created_at) DO NOTHING`;

/** PostgreSQL cannot store NUL in text; a record carrying one must not block the log forever. */
function storable(value: string): string {
  return value.includes("\u0000") ? value.replaceAll("\u0000", "\ufffd") : value;
}

/** The production store: a small connection pool to PostgreSQL (`DATABASE_URL`). */
export class PostgresPredictionStore implements PredictionStore {
  readonly kind = "postgres";
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly retentionMs: number | null;
  private readonly clock: () => number;
  private closed = false;

  constructor(connectionString: string, options: PostgresPredictionStoreOptions = {}) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new PredictionStoreError(
        "invalid_store_option",
        "the schema must be a lower-case SQL identifier",
      );
    }
    this.schema = options.schema;
    this.retentionMs = options.retentionMs ?? null;
    this.clock = options.clock ?? Date.now;
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
      await createDayPartitions(client, this.clock());
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

  /**
   * Creates the coming days' partitions and drops those wholly past retention. One replica at a
   * time: the others find the advisory lock taken and skip (they try again at their next call).
   * Rows pruned from a dropped partition are counted from the planner's estimate (reltuples),
   * not by a scan; rows of the default partition are deleted and counted exactly.
   */
  async maintain(nowMs: number): Promise<StoreUsage | undefined> {
    this.assertOpen();
    const usage: StoreUsage = {
      prunedByCap: 0,
      prunedByRetention: 0,
      capPrunedNewestMs: null,
      bytesOnDisk: null,
      oldestRecordMs: null,
      longestPruneStepMs: 0,
    };
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query("BEGIN");
      // A DROP waits for ACCESS EXCLUSIVE on the parent: never queue behind a long export for long.
      await client.query("SET LOCAL lock_timeout = '5s'");
      const { rows: locked } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked",
        [`sentiment-api:predictions:maintenance:${this.schema ?? ""}`],
      );
      if (locked[0]?.locked === true) {
        await createDayPartitions(client, nowMs);
        if (this.retentionMs !== null) {
          await this.dropPastRetention(client, nowMs - this.retentionMs, usage);
        }
      }
      await client.query("COMMIT");
      const { rows } = await client.query<{ bytes: string | null; oldest: Date | null }>(
        `SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
                 WHERE inhparent = 'predictions'::regclass) AS bytes,
                (SELECT created_at FROM predictions ORDER BY created_at LIMIT 1) AS oldest`,
      );
      const bytes = rows[0]?.bytes;
      usage.bytesOnDisk = bytes === null || bytes === undefined ? null : Number(bytes);
      usage.oldestRecordMs = rows[0]?.oldest?.getTime() ?? null;
      return usage;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release(failure);
    }
  }

  private async dropPastRetention(
    client: pg.PoolClient,
    cutoffMs: number,
    usage: StoreUsage,
  ): Promise<void> {
    const { rows } = await client.query<{ name: string; estimate: number }>(
      `SELECT c.relname AS name, greatest(c.reltuples, 0)::float8 AS estimate
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'predictions'::regclass ORDER BY c.relname`,
    );
    for (const { name, estimate } of rows) {
      const endMs = partitionEndMs(name);
      if (endMs === undefined || endMs > cutoffMs) continue;
      const started = performance.now();
      // Never analysed (reltuples -1 -> 0): count it, it is small or was never vacuumed.
      const count =
        estimate > 0
          ? Math.round(estimate)
          : Number(
              (await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`)).rows[0]
                ?.n ?? 0,
            );
      await client.query(`DROP TABLE "${name}"`);
      usage.prunedByRetention += count;
      usage.longestPruneStepMs = Math.max(usage.longestPruneStepMs, performance.now() - started);
    }
    const started = performance.now();
    const deleted = await client.query("DELETE FROM predictions_default WHERE created_at < $1", [
      new Date(cutoffMs).toISOString(),
    ]);
    usage.prunedByRetention += deleted.rowCount ?? 0;
    usage.longestPruneStepMs = Math.max(usage.longestPruneStepMs, performance.now() - started);
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

/**
 * Creates the partitions of yesterday, today and the next days (idempotent, inside the caller's
 * transaction). One that cannot be created (another replica created it at the same moment, or the
 * default partition already holds rows of that day) is skipped: rows then stay in the default
 * partition, which retention prunes by row.
 */
async function createDayPartitions(client: pg.PoolClient, nowMs: number): Promise<void> {
  for (let offset = -1; offset <= PARTITION_DAYS_AHEAD; offset++) {
    const { name, fromMs, toMs } = dayPartition(nowMs + offset * DAY_MS);
    await client.query("SAVEPOINT create_partition");
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF predictions
         FOR VALUES FROM ('${new Date(fromMs).toISOString()}') TO ('${new Date(toMs).toISOString()}')`,
      );
      await client.query("RELEASE SAVEPOINT create_partition");
    } catch {
      await client.query("ROLLBACK TO SAVEPOINT create_partition");
    }
  }
}
