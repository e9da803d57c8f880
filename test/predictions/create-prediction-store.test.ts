import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createPredictionStore } from "../../src/predictions/create-prediction-store.js";
import { PostgresPredictionStore } from "../../src/predictions/postgres-prediction-store.js";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
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
