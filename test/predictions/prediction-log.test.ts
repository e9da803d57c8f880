import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostgresPredictionStore } from "../../src/predictions/postgres-prediction-store.js";
import { PredictionLog, type PredictionLogOptions } from "../../src/predictions/prediction-log.js";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
import { SqliteWriterThread } from "../../src/predictions/sqlite-writer-thread.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import {
  CountingStore,
  collect,
  RecordingLogger,
  sampleRecord,
  TEST_DATABASE_URL,
  temporaryDirectory,
  uniqueSchema,
  until,
} from "./fixtures.js";

// Long enough that only what a test does explicitly triggers a write.
const NEVER = 3_600_000;

describe("PredictionLog on SQLite", () => {
  let dir: Awaited<ReturnType<typeof temporaryDirectory>>;
  let path: string;
  let store: CountingStore;
  let logger: RecordingLogger;
  const logs: PredictionLog[] = [];

  function newLog(options: Partial<PredictionLogOptions> = {}): PredictionLog {
    const log = new PredictionLog({ store, logger, flushIntervalMs: NEVER, ...options });
    logs.push(log);
    return log;
  }

  async function storedCount(): Promise<number> {
    const reader = new SqlitePredictionStore(path);
    try {
      await reader.migrate();
      return (await collect(reader.exportRows())).length;
    } finally {
      await reader.close();
    }
  }

  beforeEach(async () => {
    dir = await temporaryDirectory();
    path = join(dir.path, "var", "predictions.sqlite");
    store = new CountingStore(new SqlitePredictionStore(path));
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    await Promise.all(logs.splice(0).map((log) => log.close({ timeoutMs: 1000 })));
    await store.close();
    await dir.remove();
  });

  it("writes many records in a few batched inserts", async () => {
    const log = newLog({ batchSize: 100 });
    for (let i = 0; i < 1000; i += 1) log.record(sampleRecord());
    await log.flush();
    expect({ inserts: store.batches.length, stored: await storedCount() }).toEqual({
      inserts: 10,
      stored: 1000,
    });
  });

  it("returns from record() before anything is written", () => {
    const log = newLog();
    const returned = log.record(sampleRecord()) as unknown;
    expect([returned, log.stats().buffered, store.batches.length]).toEqual([undefined, 1, 0]);
  });

  it("writes a full batch without waiting for the timer", async () => {
    const log = newLog({ batchSize: 10 });
    for (let i = 0; i < 10; i += 1) log.record(sampleRecord());
    await until(() => log.stats().written === 10);
    expect(await storedCount()).toBe(10);
  });

  it("writes a partial batch when the timer fires", async () => {
    const log = newLog({ batchSize: 100, flushIntervalMs: 20 });
    log.record(sampleRecord());
    await until(() => log.stats().written === 1);
    expect(await storedCount()).toBe(1);
  });

  it("creates the schema before its first write", async () => {
    const log = newLog();
    log.record(sampleRecord());
    await log.flush();
    expect(await storedCount()).toBe(1);
  });

  it("counts records that do not fit in the buffer as dropped", () => {
    const log = newLog({ maxBufferedRecords: 5, batchSize: 100 });
    for (let i = 0; i < 8; i += 1) log.record(sampleRecord());
    expect(log.stats()).toMatchObject({ buffered: 5, dropped: 3 });
  });

  it("logs dropped records, all of them by the time it is closed", async () => {
    const log = newLog({ maxBufferedRecords: 5, batchSize: 100 });
    for (let i = 0; i < 8; i += 1) log.record(sampleRecord());
    await log.close();
    const reported = logger.lines
      .filter((line) => line.message === "prediction records dropped")
      .reduce((sum, line) => sum + Number(line.details.dropped), 0);
    expect(reported).toBe(3);
  });

  it("names the buffer being full as the reason records were dropped", async () => {
    const log = newLog({ maxBufferedRecords: 1, batchSize: 100 });
    log.record(sampleRecord());
    log.record(sampleRecord());
    const line = await logger.next("prediction records dropped");
    expect(line.details.reasons).toEqual(["buffer_full"]);
  });

  it("reports dropped records through a pino logger", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const log = new PredictionLog({
      store,
      logger: pino({ level: "info" }, sink),
      flushIntervalMs: NEVER,
      maxBufferedRecords: 1,
    });
    logs.push(log);
    log.record(sampleRecord());
    log.record(sampleRecord());
    await until(() => lines.length > 0);
    expect(lines[0]).toMatchObject({ level: 40, dropped: 1, msg: "prediction records dropped" });
  });

  it("refuses an invalid record without throwing, and counts it", () => {
    const log = newLog();
    log.record({ ...sampleRecord(), score: Number.NaN });
    expect(log.stats()).toMatchObject({ buffered: 0, dropped: 1 });
  });

  it("writes everything buffered when closed", async () => {
    const log = newLog({ batchSize: 7 });
    for (let i = 0; i < 20; i += 1) log.record(sampleRecord());
    const stats = await log.close();
    expect({ written: stats.written, stored: await storedCount() }).toEqual({
      written: 20,
      stored: 20,
    });
  });

  it("counts records recorded after close as dropped", async () => {
    const log = newLog();
    await log.close();
    log.record(sampleRecord());
    expect(log.stats().dropped).toBe(1);
  });

  it("counts and logs what it could not write before its close timeout", async () => {
    const log = newLog({ initialRetryDelayMs: 20 });
    log.record(sampleRecord());
    log.record(sampleRecord());
    await store.close(); // Every write now fails.
    const stats = await log.close({ timeoutMs: 200 });
    const line = await logger.next("prediction log closed with records it could not write");
    expect([stats.dropped, stats.written, line.details.dropped]).toEqual([2, 0, 2]);
  });

  it("loses nothing when its SQLite writer thread crashes mid-write", async () => {
    const writer = await SqliteWriterThread.open(path);
    const log = new PredictionLog({ store: writer, logger, flushIntervalMs: NEVER });
    logs.push(log);
    await writer.migrate();
    const records = Array.from({ length: 30 }, () => sampleRecord());
    for (const record of records.slice(0, 10)) log.record(record);
    await log.flush();
    for (const record of records.slice(10)) log.record(record);
    await writer.crashOnNextInsertForTesting();
    await expect(log.flush()).rejects.toMatchObject({ code: "store_thread_failed" });
    expect(log.stats()).toMatchObject({ buffered: 20, written: 10, dropped: 0 });
    await log.flush(); // a new writer thread takes the retry
    await log.close();
    const reader = new SqlitePredictionStore(path);
    try {
      const stored = await collect(reader.exportRows());
      expect(stored.map((r) => r.id)).toEqual(records.map((r) => r.id));
    } finally {
      await reader.close();
    }
  });

  it("rejects flush() when the store fails, keeping the records for a retry", async () => {
    const log = newLog();
    log.record(sampleRecord());
    await store.close();
    await expect(log.flush()).rejects.toMatchObject({ code: "store_closed" });
    expect(log.stats()).toMatchObject({ buffered: 1, failedAttempts: 1 });
  });
});

describe("PredictionLog on PostgreSQL behind a proxy", () => {
  const schema = uniqueSchema();
  let proxy: TcpProxy;
  let store: PostgresPredictionStore;
  let logger: RecordingLogger;
  const logs: PredictionLog[] = [];

  function newLog(options: Partial<PredictionLogOptions> = {}): PredictionLog {
    const log = new PredictionLog({
      store,
      logger,
      flushIntervalMs: 20,
      initialRetryDelayMs: 20,
      maxRetryDelayMs: 200,
      writeTimeoutMs: 2000,
      ...options,
    });
    logs.push(log);
    return log;
  }

  async function storedIds(): Promise<string[]> {
    const reader = new PostgresPredictionStore(TEST_DATABASE_URL, { schema: schema.name });
    try {
      return (await collect(reader.exportRows())).map((r) => r.id);
    } finally {
      await reader.close();
    }
  }

  beforeAll(async () => {
    const direct = new PostgresPredictionStore(TEST_DATABASE_URL, { schema: schema.name });
    await direct.migrate();
    await direct.close();
    const url = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
  });

  beforeEach(async () => {
    await proxy.open();
    proxy.resume();
    const url = new URL(TEST_DATABASE_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    store = new PostgresPredictionStore(url.toString(), {
      schema: schema.name,
      connectTimeoutMs: 1000,
      queryTimeoutMs: 1000,
    });
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    proxy.resume();
    await proxy.open();
    await Promise.all(logs.splice(0).map((log) => log.close({ timeoutMs: 5000 })));
  });

  afterAll(async () => {
    await proxy.close();
    await schema.drop();
  });

  it("keeps accepting records while the database is down", async () => {
    await proxy.close();
    const log = newLog();
    for (let i = 0; i < 50; i += 1) log.record(sampleRecord());
    await logger.next("prediction store write failed; will retry");
    for (let i = 0; i < 50; i += 1) log.record(sampleRecord());
    expect(log.stats()).toMatchObject({ buffered: 100, written: 0, dropped: 0 });
  });

  it("retries and writes every record once the database is back", async () => {
    await proxy.close();
    const log = newLog();
    const records = Array.from({ length: 30 }, () => sampleRecord());
    for (const record of records) log.record(record);
    await logger.next("prediction store write failed; will retry");
    await proxy.open();
    await until(() => log.stats().written === records.length);
    const stored = new Set(await storedIds());
    expect(records.every((record) => stored.has(record.id))).toBe(true);
  });

  it("logs that writes recovered after failures", async () => {
    await proxy.close();
    const log = newLog();
    log.record(sampleRecord());
    await logger.next("prediction store write failed; will retry");
    await proxy.open();
    const line = await logger.next("prediction store writes recovered");
    expect(Number(line.details.failedAttempts)).toBeGreaterThan(0);
  });

  it("treats a write that hangs as failed and retries it", async () => {
    const log = newLog({ writeTimeoutMs: 300 });
    log.record(sampleRecord());
    await log.flush(); // Connected and migrated.
    proxy.pause();
    const record = sampleRecord();
    log.record(record);
    await logger.next("prediction store write failed; will retry");
    log.record(sampleRecord()); // Still accepted while the write hangs.
    proxy.resume();
    await proxy.close(); // Drop the hung connections so new ones are opened.
    await proxy.open();
    await until(() => log.stats().written === 3);
    expect((await storedIds()).filter((id) => id === record.id)).toHaveLength(1);
  });

  it("flushes what is buffered on close once the database answers again", async () => {
    await proxy.close();
    const log = newLog();
    for (let i = 0; i < 5; i += 1) log.record(sampleRecord());
    await logger.next("prediction store write failed; will retry");
    await proxy.open();
    const stats = await log.close({ timeoutMs: 10_000 });
    expect(stats).toMatchObject({ buffered: 0, written: 5, dropped: 0 });
  });
});
