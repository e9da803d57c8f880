import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createPredictionStore,
  openPredictionSink,
  predictionStoreLocation,
} from "../../src/predictions/create-prediction-store.js";
import { PostgresPredictionStore } from "../../src/predictions/postgres-prediction-store.js";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
import { SqliteWriterThread } from "../../src/predictions/sqlite-writer-thread.js";
import { TEST_DATABASE_URL, temporaryDirectory } from "./fixtures.js";

describe("createPredictionStore", () => {
  it("uses the SQLite file when no database URL is set", async () => {
    const dir = await temporaryDirectory();
    const path = join(dir.path, "predictions.sqlite");
    const store = createPredictionStore(undefined, { sqlitePath: path });
    await store.close();
    await dir.remove();
    expect([store instanceof SqlitePredictionStore, (store as SqlitePredictionStore).path]).toEqual(
      [true, path],
    );
  });

  it("uses PostgreSQL for a postgres:// URL", async () => {
    const store = createPredictionStore(TEST_DATABASE_URL);
    await store.close();
    expect(store).toBeInstanceOf(PostgresPredictionStore);
  });

  it("uses the named SQLite file for a sqlite: URL", async () => {
    const dir = await temporaryDirectory();
    const path = join(dir.path, "other.sqlite");
    const store = createPredictionStore(`sqlite:${path}`);
    await store.close();
    await dir.remove();
    expect((store as SqlitePredictionStore).path).toBe(path);
  });

  it("refuses another scheme without repeating the URL, which may hold a password", () => {
    let error: unknown;
    try {
      createPredictionStore("mysql://user:hunter2@db/x");
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "unsupported_database_url" });
    expect(String((error as Error).message)).not.toContain("hunter2");
  });
});

describe("predictionStoreLocation", () => {
  it("names the store without opening it", () => {
    expect(predictionStoreLocation(undefined)).toEqual({
      kind: "sqlite",
      path: "var/predictions.sqlite",
    });
    expect(predictionStoreLocation("  ", { sqlitePath: "/data/p.sqlite" })).toEqual({
      kind: "sqlite",
      path: "/data/p.sqlite",
    });
    expect(predictionStoreLocation("sqlite:/tmp/x.sqlite")).toEqual({
      kind: "sqlite",
      path: "/tmp/x.sqlite",
    });
    expect(predictionStoreLocation("postgresql://db/x")).toEqual({
      kind: "postgres",
      url: "postgresql://db/x",
    });
    expect(() => predictionStoreLocation("sqlite:")).toThrow(/file path/);
  });
});

describe("openPredictionSink", () => {
  it("writes SQLite from a writer thread and PostgreSQL from this thread", async () => {
    const dir = await temporaryDirectory();
    const sqlite = await openPredictionSink(`sqlite:${join(dir.path, "p.sqlite")}`);
    await sqlite.close();
    await dir.remove();
    expect(sqlite).toBeInstanceOf(SqliteWriterThread);
    const postgres = await openPredictionSink(TEST_DATABASE_URL);
    await postgres.close();
    expect(postgres).toBeInstanceOf(PostgresPredictionStore);
  });
});
