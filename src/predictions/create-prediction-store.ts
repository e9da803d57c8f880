import {
  PostgresPredictionStore,
  type PostgresPredictionStoreOptions,
} from "./postgres-prediction-store.js";
import {
  type PredictionSink,
  type PredictionStore,
  PredictionStoreError,
} from "./prediction-store.js";
import {
  assertSqliteLocationWritable,
  DEFAULT_SQLITE_PATH,
  SqlitePredictionStore,
  type SqlitePredictionStoreOptions,
} from "./sqlite-prediction-store.js";
import { SqliteWriterThread } from "./sqlite-writer-thread.js";

export interface CreatePredictionStoreOptions {
  /** SQLite file used when no database URL is given. Default `var/predictions.sqlite`. */
  sqlitePath?: string;
  sqlite?: SqlitePredictionStoreOptions;
  postgres?: PostgresPredictionStoreOptions;
}

/** Which store a `DATABASE_URL` names. */
export type PredictionStoreLocation =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string };

/**
 * The store named by `DATABASE_URL`: PostgreSQL for `postgres://` / `postgresql://`, a SQLite
 * file for `sqlite:<path>`, and the embedded SQLite file when there is none.
 */
export function predictionStoreLocation(
  databaseUrl: string | undefined,
  options: Pick<CreatePredictionStoreOptions, "sqlitePath"> = {},
): PredictionStoreLocation {
  const url = databaseUrl?.trim() ?? "";
  if (url === "") return { kind: "sqlite", path: options.sqlitePath ?? DEFAULT_SQLITE_PATH };
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: "postgres", url };
  if (/^sqlite:/i.test(url)) {
    const path = url.slice("sqlite:".length);
    if (path === "") {
      throw new PredictionStoreError("unsupported_database_url", "sqlite: needs a file path");
    }
    return { kind: "sqlite", path };
  }
  // Never echo the URL: it may carry a password.
  throw new PredictionStoreError(
    "unsupported_database_url",
    "DATABASE_URL must start with postgres://, postgresql:// or sqlite:",
  );
}

/**
 * Refuses a store the service could not write: for SQLite, a directory it cannot create or write
 * in. (PostgreSQL is checked by its first write, which is retried: the database may start later.)
 */
export function assertPredictionStoreWritable(
  databaseUrl: string | undefined,
  options: Pick<CreatePredictionStoreOptions, "sqlitePath"> = {},
): void {
  const location = predictionStoreLocation(databaseUrl, options);
  if (location.kind === "sqlite") assertSqliteLocationWritable(location.path);
}

/** Opens the store named by `DATABASE_URL` (see predictionStoreLocation) in this thread. */
export function createPredictionStore(
  databaseUrl: string | undefined,
  options: CreatePredictionStoreOptions = {},
): PredictionStore {
  const location = predictionStoreLocation(databaseUrl, options);
  return location.kind === "postgres"
    ? new PostgresPredictionStore(location.url, options.postgres)
    : new SqlitePredictionStore(location.path, options.sqlite);
}

/**
 * Where the service's PredictionLog writes: PostgreSQL in this thread (its client is
 * asynchronous), SQLite in a writer thread (better-sqlite3 blocks the thread that calls it).
 */
export async function openPredictionSink(
  databaseUrl: string | undefined,
  options: CreatePredictionStoreOptions = {},
): Promise<PredictionSink> {
  const location = predictionStoreLocation(databaseUrl, options);
  return location.kind === "postgres"
    ? new PostgresPredictionStore(location.url, options.postgres)
    : await SqliteWriterThread.open(location.path, options.sqlite);
}
