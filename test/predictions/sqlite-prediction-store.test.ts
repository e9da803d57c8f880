import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/predictions/migrations.js";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
import { collect, sampleRecord, temporaryDirectory } from "./fixtures.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("SqlitePredictionStore", async () => {
  const dir = await temporaryDirectory();
  return {
    store: new SqlitePredictionStore(join(dir.path, "predictions.sqlite")),
    dispose: dir.remove,
  };
});

describe("SqlitePredictionStore", () => {
  let dir: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => {
    dir = await temporaryDirectory();
  });

  afterEach(async () => {
    await dir.remove();
  });

  it("creates the directory of its file", async () => {
    const path = join(dir.path, "nested", "var", "predictions.sqlite");
    const store = new SqlitePredictionStore(path);
    await store.close();
    expect(existsSync(path)).toBe(true);
  });

  it("opens the database in WAL mode", async () => {
    const path = join(dir.path, "predictions.sqlite");
    const store = new SqlitePredictionStore(path);
    await store.migrate();
    await store.close();
    const db = new Database(path, { readonly: true });
    const mode = db.pragma("journal_mode", { simple: true });
    db.close();
    expect(mode).toBe("wal");
  });

  it("records each applied migration version once, however often it migrates", async () => {
    const path = join(dir.path, "predictions.sqlite");
    for (let i = 0; i < 2; i += 1) {
      const store = new SqlitePredictionStore(path);
      await store.migrate();
      await store.migrate();
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    const versions = db
      .prepare("SELECT version FROM schema_migrations ORDER BY version")
      .pluck()
      .all();
    db.close();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("migrates safely when several processes start at once", async () => {
    const path = join(dir.path, "predictions.sqlite");
    const storeModule = fileURLToPath(
      new URL("../../src/predictions/sqlite-prediction-store.ts", import.meta.url),
    );
    const script = `
      import { SqlitePredictionStore } from ${JSON.stringify(storeModule)};
      const store = new SqlitePredictionStore(${JSON.stringify(path)});
      await store.migrate();
      await store.close();`;
    const run = promisify(execFile);
    await Promise.all(
      Array.from({ length: 3 }, () =>
        run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]),
      ),
    );
    const db = new Database(path, { readonly: true });
    const versions = db.prepare("SELECT version FROM schema_migrations").pluck().all();
    db.close();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("lets a second process's store read what the first wrote", async () => {
    const path = join(dir.path, "predictions.sqlite");
    const [writer, reader] = [new SqlitePredictionStore(path), new SqlitePredictionStore(path)];
    await Promise.all([writer.migrate(), reader.migrate()]);
    const record = sampleRecord();
    await writer.insertBatch([record]);
    const exported = await collect(reader.exportRows());
    await Promise.all([writer.close(), reader.close()]);
    expect(exported.map((r) => r.id)).toEqual([record.id]);
  });
});
