import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  minimumCapBytes,
  parseByteSize,
  parseRetention,
  sampledIn,
  writeBatchBytes,
} from "../../src/predictions/log-limits.js";
import { PredictionLog, type PredictionLogOptions } from "../../src/predictions/prediction-log.js";
import {
  SqlitePredictionStore,
  type SqlitePredictionStoreOptions,
} from "../../src/predictions/sqlite-prediction-store.js";
import { collect, RecordingLogger, sampleRecord, temporaryDirectory, until } from "./fixtures.js";

const DAY_MS = 86_400_000;
const NEVER = 3_600_000;
const CAP_WARNING = /size cap .* prunes records younger than the retention/;

describe("limits", () => {
  it("reads durations, with 0 and off as no retention", () => {
    expect(parseRetention("30d")).toBe(30 * DAY_MS);
    expect(parseRetention("12h")).toBe(12 * 3_600_000);
    expect(parseRetention(" 90m ")).toBe(90 * 60_000);
    expect(parseRetention("2w")).toBe(14 * DAY_MS);
    expect(parseRetention("0")).toBeNull();
    expect(parseRetention("off")).toBeNull();
    for (const bad of ["30", "30 days", "d", "-1d", "1y", "", "0.0000001s"]) {
      expect(parseRetention(bad), bad).toBeUndefined();
    }
  });

  it("reads sizes in bytes or with a unit, with 0 and off as no cap", () => {
    expect(parseByteSize("10000000")).toBe(10_000_000);
    expect(parseByteSize("500MB")).toBe(500_000_000);
    expect(parseByteSize("1GiB")).toBe(2 ** 30);
    expect(parseByteSize(2 ** 30)).toBe(2 ** 30);
    expect(parseByteSize("off")).toBeNull();
    expect(parseByteSize("0")).toBeNull();
    for (const bad of ["ten", "-5", "1.5.5MB", "12XB", 1.5]) {
      expect(parseByteSize(bad), String(bad)).toBeUndefined();
    }
  });

  it("sizes the smallest cap from two batches of the longest texts", () => {
    expect(writeBatchBytes({ maxTextLength: 5000, logText: true })).toBe(200 * (512 + 15_000));
    expect(minimumCapBytes({ maxTextLength: 5000, logText: false })).toBe(2 * 200 * 512);
  });

  it("samples a request by its id: the same id always gets the same answer, about rate of them kept", () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? randomUUID() : `req-${i}`));
    for (const rate of [0.1, 0.5, 0.9]) {
      const kept = ids.filter((id) => sampledIn(id, rate)).length / ids.length;
      expect(kept).toBeGreaterThan(rate - 0.03);
      expect(kept).toBeLessThan(rate + 0.03);
    }
    const decisions = ids.map((id) => sampledIn(id, 0.3));
    expect(ids.map((id) => sampledIn(` ${id}`.slice(1), 0.3))).toEqual(decisions);
    expect(ids.some((id) => sampledIn(id, 0))).toBe(false);
    expect(ids.every((id) => sampledIn(id, 1))).toBe(true);
    // A lower rate keeps a subset of what a higher one keeps.
    expect(ids.filter((id) => sampledIn(id, 0.2)).every((id) => sampledIn(id, 0.6))).toBe(true);
  });
});

describe("PredictionLog limits on a real SQLite store", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setUp(
    storeOptions: SqlitePredictionStoreOptions,
    logOptions: Partial<PredictionLogOptions> = {},
  ) {
    const dir = await temporaryDirectory();
    const store = new SqlitePredictionStore(join(dir.path, "p.sqlite"), {
      maxBatchBytes: 200 * 600,
      ...storeOptions,
    });
    const logger = new RecordingLogger();
    const log = new PredictionLog({ store, logger, flushIntervalMs: NEVER, ...logOptions });
    cleanups.push(async () => {
      await log.close({ timeoutMs: 1000 });
      await dir.remove();
    });
    return { store, logger, log };
  }

  it("keeps or skips each request whole, deterministically, and counts what it skips", async () => {
    const { store, log } = await setUp({}, { sampleRate: 0.5 });
    const requests = Array.from({ length: 200 }, () => randomUUID());
    for (const requestId of requests) {
      for (let text = 0; text < 3; text++) log.record(sampleRecord({ requestId }));
    }
    await log.flush();
    const stored = await collect(store.exportRows());
    const keptRequests = new Set(stored.map((r) => r.requestId));
    expect([...keptRequests].sort()).toEqual(requests.filter((id) => sampledIn(id, 0.5)).sort());
    for (const requestId of keptRequests) {
      expect(stored.filter((r) => r.requestId === requestId)).toHaveLength(3);
    }
    const stats = log.stats();
    expect(stats.sampledOut + stored.length).toBe(600);
    expect(stats.sampledOut).toBeGreaterThan(0);
    expect(stats.written).toBe(stored.length);
    expect(stats.dropped).toBe(0);
  });

  it("counts what the cap prunes and warns exactly once when it prunes inside the retention", async () => {
    const { log, logger } = await setUp(
      { maxBytes: 1_500_000 },
      { retentionMs: 30 * DAY_MS, maxBufferedRecords: 50_000 },
    );
    for (let i = 0; i < 30_000; i++) log.record(sampleRecord());
    await log.flush();
    const stats = log.stats();
    expect(stats.written).toBe(30_000);
    expect(stats.pruned.cap).toBeGreaterThan(0);
    expect(stats.pruned.retention).toBe(0);
    expect(stats.bytesOnDisk).toBeLessThanOrEqual(1_500_000);
    expect(stats.oldestRecordMs).toBeGreaterThan(Date.now() - 60_000);
    expect(stats.longestPruneStepMs).toBeGreaterThan(0);
    const warnings = logger.lines.filter((line) => CAP_WARNING.test(line.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details).toMatchObject({ retentionHours: 30 * 24 });
  });

  it("does not warn when the cap prunes only records retention would have pruned anyway", async () => {
    const { log, logger } = await setUp(
      { maxBytes: 1_500_000 },
      { retentionMs: 1, maxBufferedRecords: 50_000 },
    );
    const old = new Date(Date.now() - DAY_MS);
    for (let i = 0; i < 20_000; i++) log.record(sampleRecord({ createdAt: old }));
    await log.flush();
    expect(log.stats().pruned.cap).toBeGreaterThan(0);
    expect(logger.lines.filter((line) => CAP_WARNING.test(line.message))).toHaveLength(0);
  });

  it("runs the store's retention on its own timer, between writes", async () => {
    const { log, store } = await setUp(
      { retentionMs: 2 * DAY_MS },
      { retentionMs: 2 * DAY_MS, flushIntervalMs: 20, maintenanceIntervalMs: 50 },
    );
    const old = sampleRecord({ createdAt: new Date(Date.now() - 3 * DAY_MS) });
    const recent = sampleRecord();
    log.record(old);
    log.record(recent);
    await log.flush();
    await until(() => log.stats().pruned.retention === 1);
    expect((await collect(store.exportRows())).map((r) => r.id)).toEqual([recent.id]);
  });

  it("counts dropped records by reason", async () => {
    const { log } = await setUp({}, { maxBufferedRecords: 100 });
    for (let i = 0; i < 105; i++) log.record(sampleRecord());
    log.record({ ...sampleRecord(), score: Number.NaN });
    expect(log.stats().droppedByReason).toEqual({
      buffer_full: 5,
      invalid_record: 1,
      log_closed: 0,
      shutdown_timeout: 0,
    });
    expect(log.stats().dropped).toBe(6);
  });
});
