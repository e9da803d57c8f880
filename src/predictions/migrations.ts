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
];

/** Migrations not yet applied, in version order. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  return MIGRATIONS.filter((migration) => !done.has(migration.version)).sort(
    (a, b) => a.version - b.version,
  );
}
