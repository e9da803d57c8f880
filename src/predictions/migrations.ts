/**
 * The prediction log's schema, version by version. Each migration runs once per database, in
 * order, inside the migration lock, and is recorded in `schema_migrations`. Never edit a released
 * migration: add the next version.
 */
export interface Migration {
  version: number;
  description: string;
  sqlite: readonly string[];
  postgres: readonly string[];
}

const LABEL_CHECK = "label IN ('NEGATIVE', 'NEUTRAL', 'POSITIVE')";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "predictions table",
    sqlite: [
      `CREATE TABLE predictions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        request_id TEXT NOT NULL,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        label TEXT NOT NULL CHECK (${LABEL_CHECK}),
        score REAL NOT NULL,
        latency_ms REAL NOT NULL,
        text TEXT,
        text_sha256 TEXT NOT NULL
      )`,
      "CREATE INDEX predictions_created_at ON predictions (created_at)",
    ],
    postgres: [
      `CREATE TABLE predictions (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        created_at TIMESTAMPTZ NOT NULL,
        request_id TEXT NOT NULL,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        label TEXT NOT NULL CHECK (${LABEL_CHECK}),
        score DOUBLE PRECISION NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        text TEXT,
        text_sha256 TEXT NOT NULL
      )`,
      "CREATE INDEX predictions_created_at ON predictions (created_at)",
    ],
  },
  {
    version: 2,
    description:
      "PostgreSQL: predictions partitioned by day of created_at (retention drops partitions)",
    // SQLite keeps one table: its cap and retention delete rows (see SqlitePruner).
    sqlite: [],
    postgres: [
      // The v1 table steps aside under another name, with its constraints and index renamed
      // (index names are per schema), and its rows are copied into the partitioned table.
      "ALTER TABLE predictions RENAME TO predictions_v1",
      "ALTER TABLE predictions_v1 RENAME CONSTRAINT predictions_pkey TO predictions_v1_pkey",
      "ALTER TABLE predictions_v1 RENAME CONSTRAINT predictions_id_key TO predictions_v1_id_key",
      "ALTER INDEX predictions_created_at RENAME TO predictions_v1_created_at",
      "CREATE SEQUENCE predictions_seq_counter AS BIGINT",
      // Unique constraints of a partitioned table must hold the partition key: (id, created_at)
      // is as unique as id (a uuidV7 carries its record's millisecond) and keeps retries idempotent.
      `CREATE TABLE predictions (
        seq BIGINT NOT NULL DEFAULT nextval('predictions_seq_counter'),
        id TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        request_id TEXT NOT NULL,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        label TEXT NOT NULL CHECK (${LABEL_CHECK}),
        score DOUBLE PRECISION NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        text TEXT,
        text_sha256 TEXT NOT NULL,
        PRIMARY KEY (seq, created_at),
        UNIQUE (id, created_at)
      ) PARTITION BY RANGE (created_at)`,
      "ALTER SEQUENCE predictions_seq_counter OWNED BY predictions.seq",
      "CREATE INDEX predictions_created_at ON predictions (created_at)",
      // Catches a row no daily partition takes (a clock far off, or partitions not created in
      // time); retention deletes from it by row.
      "CREATE TABLE predictions_default PARTITION OF predictions DEFAULT",
      // One partition per UTC day of the v1 rows.
      `DO $$
      DECLARE day date;
      BEGIN
        FOR day IN
          SELECT generate_series(
            min(created_at AT TIME ZONE 'UTC')::date,
            max(created_at AT TIME ZONE 'UTC')::date,
            interval '1 day')::date
          FROM predictions_v1
        LOOP
          EXECUTE format(
            'CREATE TABLE %I PARTITION OF predictions FOR VALUES FROM (%L) TO (%L)',
            'predictions_p' || to_char(day, 'YYYYMMDD'),
            day::timestamp AT TIME ZONE 'UTC',
            (day + 1)::timestamp AT TIME ZONE 'UTC');
        END LOOP;
      END $$`,
      `INSERT INTO predictions (seq, id, created_at, request_id, issuer, subject, model_name,
        model_version, label, score, latency_ms, text, text_sha256)
       SELECT seq, id, created_at, request_id, issuer, subject, model_name, model_version, label,
        score, latency_ms, text, text_sha256 FROM predictions_v1`,
      "SELECT setval('predictions_seq_counter', coalesce((SELECT max(seq) FROM predictions_v1), 0) + 1, false)",
      "DROP TABLE predictions_v1",
    ],
  },
  {
    version: 3,
    description: "SQLite: compact rows (binary id and hash, time in epoch ms), a predictions view",
    // Measured (64,000 records, 31-byte texts, file with indexes): 372 -> 252 bytes a record.
    // The id (16 bytes, not 36) and the time (an integer, not 24 characters) are also in indexes.
    sqlite: [
      `CREATE TABLE prediction_rows (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        label TEXT NOT NULL CHECK (${LABEL_CHECK}),
        score REAL NOT NULL,
        latency_ms REAL NOT NULL,
        text TEXT,
        text_sha256 BLOB NOT NULL
      )`,
      "CREATE INDEX prediction_rows_created_at ON prediction_rows (created_at)",
      `INSERT INTO prediction_rows (seq, id, created_at, request_id, issuer, subject, model_name,
        model_version, label, score, latency_ms, text, text_sha256)
       SELECT seq, unhex(replace(id, '-', '')),
        CAST(round(unixepoch(created_at, 'subsec') * 1000) AS INTEGER), request_id, issuer,
        subject, model_name, model_version, label, score, latency_ms, text, unhex(text_sha256)
       FROM predictions`,
      "DROP TABLE predictions",
      // The v1 shape, for people and tools reading the file with sqlite3.
      `CREATE VIEW predictions AS SELECT seq,
        lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' || substr(hex(id), 13, 4)
          || '-' || substr(hex(id), 17, 4) || '-' || substr(hex(id), 21)) AS id,
        strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created_at,
        request_id, issuer, subject, model_name, model_version, label, score, latency_ms, text,
        lower(hex(text_sha256)) AS text_sha256
       FROM prediction_rows`,
    ],
    postgres: [],
  },
];

/** Migrations not yet applied, in version order. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  return MIGRATIONS.filter((migration) => !done.has(migration.version)).sort(
    (a, b) => a.version - b.version,
  );
}
