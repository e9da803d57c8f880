import { statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/predictions/migrations.js";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
import { planSqliteCap } from "../../src/predictions/sqlite-pruner.js";
import { collect, sampleRecord, temporaryDirectory, V1_COLUMNS, v1RowValues } from "./fixtures.js";

const DAY_MS = 86_400_000;
// Short texts: 200 records of about 600 bytes.
const BATCH_BYTES = 200 * 600;

function diskBytes(path: string): number {
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return size(path) + size(`${path}-wal`) + size(`${path}-shm`);
}

describe("planSqliteCap", () => {
  it("splits the cap so that file, WAL (with one batch) and shm fit in it", () => {
    // From the smallest cap the config accepts (two batches) up.
    for (const cap of [6_000_000, 10_000_000, 2 ** 30, 50 * 2 ** 30]) {
      const plan = planSqliteCap(cap, 4096, 3_000_000);
      const shm = 32 * 1024 * (1 + Math.ceil((plan.walLimitBytes + 3_000_000) / 4096 / 4096));
      expect(plan.highWaterPages * 4096 + plan.walLimitBytes + 3_000_000 + shm).toBeLessThanOrEqual(
        cap,
      );
      expect(plan.lowWaterPages).toBeLessThan(plan.highWaterPages);
      expect(plan.stepPages * 4096).toBeLessThanOrEqual(4 * 2 ** 20);
    }
  });
});

describe("SqlitePredictionStore with a size cap and retention", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function newStore(
    options: { maxBytes?: number | null; retentionMs?: number | null } = {},
    path?: string,
  ) {
    const dir = await temporaryDirectory();
    const file = path ?? join(dir.path, "p.sqlite");
    const store = new SqlitePredictionStore(file, { maxBatchBytes: BATCH_BYTES, ...options });
    cleanups.push(async () => {
      await store.close();
      await dir.remove();
    });
    await store.migrate();
    return { store, file };
  }

  it("keeps file + WAL + shm under the cap, keeps the newest records and counts every pruned one", async () => {
    const cap = 3_000_000;
    const { store, file } = await newStore({ maxBytes: cap });
    let inserted = 0;
    let pruned = 0;
    let largest = 0;
    let last: string[] = [];
    for (let batch = 0; batch < 120; batch++) {
      const records = Array.from({ length: 200 }, () => sampleRecord());
      const usage = await store.insertBatch(records);
      inserted += records.length;
      pruned += usage?.prunedByCap ?? 0;
      expect(usage?.prunedByRetention).toBe(0);
      largest = Math.max(largest, diskBytes(file));
      expect(usage?.bytesOnDisk).toBe(diskBytes(file));
      last = records.map((r) => r.id);
    }
    expect(largest).toBeLessThanOrEqual(cap);
    expect(pruned).toBeGreaterThan(0);
    const kept = await collect(store.exportRows());
    // Nothing lost silently: every inserted record is either still there or counted as pruned.
    expect(kept.length + pruned).toBe(inserted);
    expect(kept.slice(-200).map((r) => r.id)).toEqual(last);
  });

  it("deletes records past retention at maintenance, and only those", async () => {
    const now = Date.now();
    const { store } = await newStore({ retentionMs: 2 * DAY_MS });
    const old = [10, 3].map((days) => sampleRecord({ createdAt: new Date(now - days * DAY_MS) }));
    const recent = [1, 0].map((days) => sampleRecord({ createdAt: new Date(now - days * DAY_MS) }));
    await store.insertBatch([...old, ...recent]);
    const usage = await store.maintain(now);
    expect(usage?.prunedByRetention).toBe(2);
    expect(usage?.prunedByCap).toBe(0);
    expect(usage?.oldestRecordMs).toBe(recent[0]?.createdAt.getTime());
    expect((await collect(store.exportRows())).map((r) => r.id)).toEqual(recent.map((r) => r.id));
  });

  it("shrinks a log that outgrew a lower cap, at maintenance", async () => {
    const dir = await temporaryDirectory();
    cleanups.push(() => dir.remove());
    const file = join(dir.path, "p.sqlite");
    const uncapped = new SqlitePredictionStore(file);
    await uncapped.migrate();
    for (let batch = 0; batch < 80; batch++) {
      await uncapped.insertBatch(Array.from({ length: 200 }, () => sampleRecord()));
    }
    await uncapped.close();
    expect(diskBytes(file)).toBeGreaterThan(3_000_000);

    const { store } = await newStore({ maxBytes: 1_500_000 }, file);
    let usage = await store.maintain(Date.now());
    for (let call = 0; call < 50 && (usage?.bytesOnDisk ?? 0) > 1_500_000; call++) {
      usage = await store.maintain(Date.now());
    }
    expect(diskBytes(file)).toBeLessThanOrEqual(1_500_000);
  });

  it("migrates a v1 file to auto_vacuum = INCREMENTAL and compact rows, keeping every field", async () => {
    const dir = await temporaryDirectory();
    cleanups.push(() => dir.remove());
    const file = join(dir.path, "v1.sqlite");
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    for (const statement of MIGRATIONS[0]?.sqlite ?? []) db.exec(statement);
    db.prepare("INSERT INTO schema_migrations VALUES (1, 'v1', ?)").run(new Date().toISOString());
    expect(db.pragma("auto_vacuum", { simple: true })).toBe(0);
    // Rows as a v1 service wrote them: the time as ISO text, the id and hash as hex text.
    const before = [sampleRecord(), sampleRecord({ text: 'a "quoted", multi\nline 😀' }, false)];
    const insert = db.prepare(
      `INSERT INTO predictions (${V1_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of before) {
      insert.run(...v1RowValues(r));
    }
    const v1Rows = db.prepare("SELECT * FROM predictions ORDER BY seq").all();
    db.close();

    const { store } = await newStore({ maxBytes: 3_000_000 }, file);
    expect(await collect(store.exportRows())).toEqual(before);
    const after = sampleRecord();
    await store.insertBatch([after]);
    expect(await collect(store.exportRows())).toEqual([...before, after]);
    const check = new Database(file, { readonly: true });
    cleanups.push(async () => check.close());
    expect(check.pragma("auto_vacuum", { simple: true })).toBe(2);
    // The predictions view still shows the v1 columns, value for value.
    expect(check.prepare("SELECT * FROM predictions ORDER BY seq LIMIT 2").all()).toEqual(v1Rows);
  });
});
