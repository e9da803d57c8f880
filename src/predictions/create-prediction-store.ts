import {
  PostgresPredictionStore,
  type PostgresPredictionStoreOptions,
} from "./postgres-prediction-store.js";
import { type PredictionStore, PredictionStoreError } from "./prediction-store.js";
import {
  DEFAULT_SQLITE_PATH,
  SqlitePredictionStore,
  type SqlitePredictionStoreOptions,
} from "./sqlite-prediction-store.js";

export interface CreatePredictionStoreOptions {
  /** SQLite file used when no database URL is given. Default `var/predictions.sqlite`. */
  sqlitePath?: string;
  sqlite?: SqlitePredictionStoreOptions;
  postgres?: PostgresPredictionStoreOptions;
}

/**
 * The store named by `DATABASE_URL`: PostgreSQL for `postgres://` / `postgresql://`, a SQLite
 * file for `sqlite:<path>`, and the embedded SQLite file when there is none.
 */
export function createPredictionStore(
  databaseUrl: string | undefined,
  options: CreatePredictionStoreOptions = {},
): PredictionStore {
  const url = databaseUrl?.trim() ?? "";
  if (url === "")
    return new SqlitePredictionStore(options.sqlitePath ?? DEFAULT_SQLITE_PATH, options.sqlite);
  if (/^postgres(ql)?:\/\//i.test(url)) return new PostgresPredictionStore(url, options.postgres);
  if (/^sqlite:/i.test(url)) {
    const path = url.slice("sqlite:".length);
    if (path === "") {
      throw new PredictionStoreError("unsupported_database_url", "sqlite: needs a file path");
    }
    return new SqlitePredictionStore(path, options.sqlite);
  }
  // Never echo the URL: it may carry a password.
  throw new PredictionStoreError(
    "unsupported_database_url",
    "DATABASE_URL must start with postgres://, postgresql:// or sqlite:",
  );
}
