import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
import { SqliteWriterThread } from "../../src/predictions/sqlite-writer-thread.js";
import { collect, sampleRecord, temporaryDirectory } from "./fixtures.js";

describe("SqliteWriterThread", () => {
  let dir: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => {
    dir = await temporaryDirectory();
  });

  afterEach(async () => {
    await dir.remove();
  });

  async function storedRows(path: string) {
    const reader = new SqlitePredictionStore(path);
    try {
      return await collect(reader.exportRows());
    } finally {
      await reader.close();
    }
  }

  it("writes batches from its thread into the file, in order, each id once", async () => {
    const path = join(dir.path, "var", "predictions.sqlite");
    const sink = await SqliteWriterThread.open(path);
    expect(sink.kind).toBe("sqlite");
    const first = [sampleRecord(), sampleRecord({ label: "NEGATIVE", score: 0.1 })];
    const second = [sampleRecord({ text: "τέλεια 🎉 مرحبا" }), sampleRecord({}, false)];
    await sink.migrate();
    await sink.insertBatch(first);
    await sink.insertBatch([...second, first[0] as (typeof first)[0]]);
    await sink.insertBatch([]);
    await sink.close();

    const rows = await storedRows(path);
    expect(rows).toEqual([...first, ...second]);
    expect(rows[3]?.text).toBeNull();
  });

  it("answers many concurrent calls, each with its own result", async () => {
    const path = join(dir.path, "predictions.sqlite");
    const sink = await SqliteWriterThread.open(path);
    await sink.migrate();
    const batches = Array.from({ length: 20 }, () => [sampleRecord(), sampleRecord()]);
    const invalid = [{ ...sampleRecord(), label: "MAYBE" as "POSITIVE" }];
    const results = await Promise.allSettled([
      ...batches.map((batch) => sink.insertBatch(batch)),
      sink.insertBatch(invalid),
    ]);
    expect(results.slice(0, 20).every((result) => result.status === "fulfilled")).toBe(true);
    const failed = results[20];
    expect(failed?.status).toBe("rejected");
    expect(String((failed as PromiseRejectedResult).reason)).toMatch(/CHECK constraint/);
    // The failure left the thread working.
    await sink.insertBatch([sampleRecord()]);
    await sink.close();
    expect(await storedRows(path)).toHaveLength(41);
  });

  it("fails the calls of a thread that crashed, and starts a new thread for the next call", async () => {
    const path = join(dir.path, "predictions.sqlite");
    const sink = await SqliteWriterThread.open(path);
    await sink.migrate();
    const before = [sampleRecord()];
    const lost = [sampleRecord(), sampleRecord()];
    await sink.insertBatch(before);
    await sink.crashOnNextInsertForTesting();
    await expect(sink.insertBatch(lost)).rejects.toMatchObject({ code: "store_thread_failed" });
    // The caller (the PredictionLog) retries the same records; they are written once.
    await sink.insertBatch(lost);
    await sink.insertBatch(lost);
    await sink.close();
    expect((await storedRows(path)).map((r) => r.id)).toEqual(
      [...before, ...lost].map((r) => r.id),
    );
  });

  it("fails to open with store_thread_failed when the file cannot be created", async () => {
    const notADirectory = join(dir.path, "file");
    await writeFile(notADirectory, "x");
    await expect(
      SqliteWriterThread.open(join(notADirectory, "predictions.sqlite")),
    ).rejects.toMatchObject({ code: "store_thread_failed" });
  });

  it("refuses calls after close, and closing twice is harmless", async () => {
    const sink = await SqliteWriterThread.open(join(dir.path, "predictions.sqlite"));
    await sink.migrate();
    await sink.close();
    await sink.close();
    await expect(sink.insertBatch([sampleRecord()])).rejects.toMatchObject({
      code: "store_closed",
    });
  });
});
