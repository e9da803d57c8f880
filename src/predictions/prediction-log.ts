import { sampledIn, WRITE_BATCH_RECORDS } from "./log-limits.js";
import type { PredictionRecord } from "./prediction-record.js";
import type { PredictionSink, StoreUsage } from "./prediction-store.js";

/** The few logger methods the log needs; a pino `Logger` fits. */
export interface PredictionLogLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface PredictionLogOptions {
  store: PredictionSink;
  logger: PredictionLogLogger;
  /** Most records waiting in memory; past it new records are dropped (counted, logged). Default 10 000. */
  maxBufferedRecords?: number;
  /**
   * Most records per insert; a full batch is written without waiting for the timer. Default 200:
   * SQLite writes run on the event loop, and 200 rows take a few milliseconds.
   */
  batchSize?: number;
  /** How often buffered records are written even if no batch is full. Default 1000 ms. */
  flushIntervalMs?: number;
  /** First wait after a failed write; doubles per failure up to `maxRetryDelayMs`. Default 500 ms. */
  initialRetryDelayMs?: number;
  /** Default 30 000 ms. */
  maxRetryDelayMs?: number;
  /** A write slower than this counts as failed and is retried. Default 20 000 ms. */
  writeTimeoutMs?: number;
  /** At most one "records dropped" line per interval, with the count since the last. Default 10 000 ms. */
  dropLogIntervalMs?: number;
  /** Share of requests logged, 0..1 (default 1), decided per request id (see sampledIn). */
  sampleRate?: number;
  /** The store's retention in ms (null: none); only compared with what the cap prunes, for the warning. */
  retentionMs?: number | null;
  /** How often the store's retention runs (see PredictionSink.maintain). Default 60 000 ms. */
  maintenanceIntervalMs?: number;
  /** Milliseconds since the epoch. */
  clock?: () => number;
}

export interface PredictionLogStats {
  /** Records in memory, not yet written. */
  buffered: number;
  /** Records the store acknowledged. */
  written: number;
  /** Records that could not be kept: buffer full, invalid, recorded after close, or still unwritten when close() gave up. */
  dropped: number;
  /** `dropped` by reason. */
  droppedByReason: Record<DropReason, number>;
  /** Records not logged on purpose: their request was sampled out (PREDICTION_LOG_SAMPLE_RATE). */
  sampledOut: number;
  /** Stored records the store deleted later, by reason. */
  pruned: { cap: number; retention: number };
  /** The store's size on disk at its last report (SQLite only); undefined until known. */
  bytesOnDisk: number | undefined;
  /** Creation time (epoch ms) of the oldest stored record at the store's last report; null when empty. */
  oldestRecordMs: number | null | undefined;
  /** Longest single pruning step reported by the store, in ms. */
  longestPruneStepMs: number;
  /** Write attempts that failed (each is retried). */
  failedAttempts: number;
  /** Failed attempts since the last successful write. */
  consecutiveFailures: number;
}

export const DROP_REASONS = [
  "buffer_full",
  "invalid_record",
  "log_closed",
  "shutdown_timeout",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

const LABELS = new Set(["NEGATIVE", "NEUTRAL", "POSITIVE"]);
const SHA256_HEX = /^[0-9a-f]{64}$/;
// Hoisted: record() runs on the request path.
const STRING_FIELDS = [
  "id",
  "requestId",
  "issuer",
  "subject",
  "modelName",
  "modelVersion",
] as const satisfies readonly (keyof PredictionRecord)[];

/** Why a record cannot be stored, or undefined when it can. Keeps one bad record from blocking a batch forever. */
export function invalidRecordReason(record: PredictionRecord): string | undefined {
  if (!(record.createdAt instanceof Date) || Number.isNaN(record.createdAt.getTime())) {
    return "createdAt is not a valid date";
  }
  if (!Number.isFinite(record.score)) return "score is not a finite number";
  if (!Number.isFinite(record.latencyMs)) return "latencyMs is not a finite number";
  if (!LABELS.has(record.label)) return "label is not NEGATIVE, NEUTRAL or POSITIVE";
  if (!SHA256_HEX.test(record.textSha256)) return "textSha256 is not a SHA-256 hex digest";
  if (record.text !== null && typeof record.text !== "string") return "text is not a string";
  for (const field of STRING_FIELDS) {
    if (typeof record[field] !== "string") return `${field} is not a string`;
  }
  return undefined;
}

class WriteTimeoutError extends Error {
  constructor(ms: number) {
    super(`the prediction store did not answer within ${ms} ms`);
    this.name = "WriteTimeoutError";
  }
}

/** Rejects with a WriteTimeoutError when `write` takes longer than `ms`. */
async function writeWithin<T>(write: Promise<T>, ms: number): Promise<T> {
  // A write that lost the race may still settle later; its outcome is ignored on purpose.
  write.catch(() => undefined);
  const outcome = await within(write, ms);
  if (outcome === "timeout") throw new WriteTimeoutError(ms);
  return outcome;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The promise's value, or "timeout" after `ms` (the timer is cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Records every prediction without ever slowing or failing scoring: `record()` only appends to a
 * bounded in-memory buffer; batches are written off the request path (on a timer, or as soon as a
 * batch is full), one write at a time, retried with exponential backoff while the store is down.
 * What cannot be kept is counted in `stats().dropped` and logged, never lost silently.
 *
 * Retried writes are idempotent (records carry a unique id), so a write that timed out but did
 * reach the database is not stored twice.
 */
export class PredictionLog {
  private readonly store: PredictionSink;
  private readonly logger: PredictionLogLogger;
  private readonly maxBufferedRecords: number;
  private readonly batchSize: number;
  private readonly initialRetryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly writeTimeoutMs: number;
  private readonly dropLogIntervalMs: number;
  private readonly clock: () => number;
  private readonly sampleRate: number;
  private readonly retentionMs: number | null;
  private readonly maintenanceIntervalMs: number;

  private buffer: PredictionRecord[] = [];
  private written = 0;
  private dropped = 0;
  private readonly droppedByReason = Object.fromEntries(
    DROP_REASONS.map((reason) => [reason, 0]),
  ) as Record<DropReason, number>;
  private sampledOut = 0;
  private lastSampledRequestId: string | undefined;
  private lastSampledIn = true;
  private readonly pruned = { cap: 0, retention: 0 };
  private bytesOnDisk: number | undefined;
  private oldestRecordMs: number | null | undefined;
  private longestPruneStepMs = 0;
  private warnedCapOutpacesRetention = false;
  private lastMaintenanceAt: number;
  private maintaining = false;
  private failedAttempts = 0;
  private consecutiveFailures = 0;
  private retryDelayMs: number;
  private migrated = false;
  private state: "open" | "closing" | "closed" = "open";

  private readonly interval: NodeJS.Timeout;
  private retryTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private pumping = false;
  /** Serialises writes: at most one batch is in flight. */
  private writeChain: Promise<unknown> = Promise.resolve();
  private closing: Promise<PredictionLogStats> | undefined;

  private droppedSinceLog = 0;
  private dropReasonsSinceLog = new Set<DropReason>();
  private lastDropLogAt = Number.NEGATIVE_INFINITY;
  private lastInvalidDetail: string | undefined;

  constructor(options: PredictionLogOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.maxBufferedRecords = positiveInteger(
      options.maxBufferedRecords ?? 10_000,
      "maxBufferedRecords",
    );
    this.batchSize = positiveInteger(options.batchSize ?? WRITE_BATCH_RECORDS, "batchSize");
    this.initialRetryDelayMs = options.initialRetryDelayMs ?? 500;
    this.maxRetryDelayMs = Math.max(options.maxRetryDelayMs ?? 30_000, this.initialRetryDelayMs);
    this.writeTimeoutMs = options.writeTimeoutMs ?? 20_000;
    this.dropLogIntervalMs = options.dropLogIntervalMs ?? 10_000;
    this.clock = options.clock ?? Date.now;
    this.sampleRate = options.sampleRate ?? 1;
    if (!(this.sampleRate >= 0 && this.sampleRate <= 1)) {
      throw new RangeError("sampleRate must be between 0 and 1");
    }
    this.retentionMs = options.retentionMs ?? null;
    this.maintenanceIntervalMs = options.maintenanceIntervalMs ?? 60_000;
    // The first maintenance runs at the first tick: a restarted service prunes what aged meanwhile.
    this.lastMaintenanceAt = Number.NEGATIVE_INFINITY;
    this.retryDelayMs = this.initialRetryDelayMs;
    this.interval = setInterval(() => this.tick(), options.flushIntervalMs ?? 1000);
    // The timer alone must not keep a process alive; close() is what flushes at shutdown.
    this.interval.unref();
  }

  /** Queues one record. Synchronous, never throws, never waits for the store. */
  record(record: PredictionRecord): void {
    try {
      if (this.state !== "open") {
        this.noteDropped(1, "log_closed");
        return;
      }
      if (!this.keeps(record.requestId)) return;
      const invalid = invalidRecordReason(record);
      if (invalid !== undefined) {
        this.noteDropped(1, "invalid_record", invalid);
        return;
      }
      if (this.buffer.length >= this.maxBufferedRecords) {
        this.noteDropped(1, "buffer_full");
        return;
      }
      this.buffer.push(record);
      if (this.buffer.length >= this.batchSize) this.schedulePump();
    } catch {
      // Unreachable unless a record's getters throw; the record is still accounted for.
      this.dropped += 1;
      this.droppedByReason.invalid_record += 1;
    }
  }

  /**
   * Whether records of this request are logged (sampling); counts the ones that are not. A
   * request's texts arrive one after another, so the last decision is reused.
   */
  private keeps(requestId: unknown): boolean {
    if (this.sampleRate >= 1) return true;
    if (requestId !== this.lastSampledRequestId) {
      this.lastSampledRequestId = typeof requestId === "string" ? requestId : undefined;
      this.lastSampledIn = typeof requestId !== "string" || sampledIn(requestId, this.sampleRate);
    }
    if (!this.lastSampledIn) this.sampledOut += 1;
    return this.lastSampledIn;
  }

  stats(): PredictionLogStats {
    return {
      buffered: this.buffer.length,
      written: this.written,
      dropped: this.dropped,
      droppedByReason: { ...this.droppedByReason },
      sampledOut: this.sampledOut,
      pruned: { ...this.pruned },
      bytesOnDisk: this.bytesOnDisk,
      oldestRecordMs: this.oldestRecordMs,
      longestPruneStepMs: this.longestPruneStepMs,
      failedAttempts: this.failedAttempts,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  /**
   * Writes every record buffered at the time of the call, now (skipping any retry wait).
   * Rejects with the store's error if a write fails; the records then stay buffered and are retried.
   */
  async flush(): Promise<void> {
    this.cancelRetry();
    const target = this.written + this.buffer.length;
    while (this.written < target && this.buffer.length > 0 && this.state !== "closed") {
      const error = await this.writeNextBatch();
      if (error !== undefined) {
        this.scheduleRetry();
        throw error;
      }
    }
  }

  /**
   * Stops accepting records and writes what is buffered, retrying until `timeoutMs` has passed;
   * what is still unwritten then is counted as dropped and logged. Closes the store. Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<PredictionLogStats> {
    this.closing ??= this.shutDown(options.timeoutMs ?? 5000);
    return this.closing;
  }

  private async shutDown(timeoutMs: number): Promise<PredictionLogStats> {
    this.state = "closing";
    clearInterval(this.interval);
    this.cancelRetry();
    const deadline = this.clock() + timeoutMs;
    let delayMs = this.initialRetryDelayMs;
    while (this.buffer.length > 0) {
      const remaining = deadline - this.clock();
      if (remaining <= 0) break;
      const outcome = await within(this.writeNextBatch(), remaining);
      if (outcome === "timeout") break;
      if (outcome !== undefined) {
        await sleep(Math.min(delayMs, Math.max(0, deadline - this.clock())));
        delayMs = Math.min(delayMs * 2, this.maxRetryDelayMs);
      }
    }
    const unwritten = this.buffer.length;
    this.state = "closed";
    this.buffer = [];
    if (unwritten > 0) {
      this.dropped += unwritten;
      this.droppedByReason.shutdown_timeout += unwritten;
      this.log(
        "error",
        { dropped: unwritten, droppedTotal: this.dropped, reason: "shutdown_timeout" },
        "prediction log closed with records it could not write",
      );
    }
    this.logPendingDrops(true);
    const stats = this.stats();
    const grace = Math.max(1000, deadline - this.clock());
    await within(
      this.store.close().catch(() => undefined),
      grace,
    );
    return stats;
  }

  /** Writes the batch at the head of the buffer; resolves to the error if it failed. */
  private writeNextBatch(): Promise<unknown> {
    const run = this.writeChain.then(async () => {
      if (this.state === "closed" || this.buffer.length === 0) return undefined;
      const batch = this.buffer.slice(0, this.batchSize);
      let usage: StoreUsage | undefined;
      try {
        usage = await writeWithin(this.writeBatch(batch), this.writeTimeoutMs);
      } catch (error) {
        this.noteWriteFailure(error, batch.length);
        return error ?? new Error("write failed");
      }
      // close() may have given up on these records while the write was in flight.
      if (this.isClosed()) return undefined;
      // Only this (serialised) path removes from the head; record() only appends.
      this.buffer.splice(0, batch.length);
      this.written += batch.length;
      this.noteUsage(usage);
      if (this.consecutiveFailures > 0) {
        this.log(
          "info",
          { failedAttempts: this.consecutiveFailures, buffered: this.buffer.length },
          "prediction store writes recovered",
        );
      }
      this.consecutiveFailures = 0;
      this.retryDelayMs = this.initialRetryDelayMs;
      return undefined;
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private isClosed(): boolean {
    return this.state === "closed";
  }

  private async writeBatch(batch: readonly PredictionRecord[]): Promise<StoreUsage | undefined> {
    await this.ensureMigrated();
    return await this.store.insertBatch(batch);
  }

  private async ensureMigrated(): Promise<void> {
    if (this.migrated) return;
    await this.store.migrate();
    this.migrated = true;
  }

  /** Runs the store's retention between writes (never concurrently with one). */
  private maintainStore(): void {
    const maintain = this.store.maintain?.bind(this.store);
    if (maintain === undefined || this.maintaining || this.state !== "open") return;
    this.maintaining = true;
    this.lastMaintenanceAt = this.clock();
    const run = this.writeChain.then(async () => {
      try {
        if (this.state !== "open") return;
        await this.ensureMigrated();
        this.noteUsage(await maintain(this.clock()));
      } catch (error) {
        this.log(
          "warn",
          { store: this.store.kind, error: messageOf(error) },
          "prediction store maintenance (retention) failed; will retry",
        );
      } finally {
        this.maintaining = false;
      }
    });
    this.writeChain = run;
  }

  /** Counts what the store pruned and warns once when the cap prunes records retention would keep. */
  private noteUsage(usage: StoreUsage | undefined): void {
    if (usage === undefined) return;
    this.pruned.cap += usage.prunedByCap;
    this.pruned.retention += usage.prunedByRetention;
    if (usage.bytesOnDisk !== null) this.bytesOnDisk = usage.bytesOnDisk;
    this.oldestRecordMs = usage.oldestRecordMs;
    this.longestPruneStepMs = Math.max(this.longestPruneStepMs, usage.longestPruneStepMs);
    if (this.warnedCapOutpacesRetention || usage.prunedByCap === 0) return;
    const now = this.clock();
    const retentionWouldKeep =
      this.retentionMs === null ||
      (usage.capPrunedNewestMs !== null && usage.capPrunedNewestMs > now - this.retentionMs);
    if (!retentionWouldKeep) return;
    this.warnedCapOutpacesRetention = true;
    const keptMs = usage.oldestRecordMs === null ? null : now - usage.oldestRecordMs;
    this.log(
      "warn",
      {
        store: this.store.kind,
        prunedByCap: usage.prunedByCap,
        keptHours: keptMs === null ? null : Math.round(keptMs / 36_000) / 100,
        retentionHours: this.retentionMs === null ? null : this.retentionMs / 3_600_000,
      },
      "prediction log: the size cap (PREDICTION_LOG_MAX_BYTES) prunes records younger than the retention (PREDICTION_LOG_RETENTION); raise the cap, shorten the retention or lower PREDICTION_LOG_SAMPLE_RATE (this warning is logged once)",
    );
  }

  private noteWriteFailure(error: unknown, batchSize: number): void {
    this.failedAttempts += 1;
    this.consecutiveFailures += 1;
    this.log(
      "warn",
      {
        store: this.store.kind,
        error: messageOf(error),
        batchSize,
        buffered: this.buffer.length,
        consecutiveFailures: this.consecutiveFailures,
      },
      "prediction store write failed; will retry",
    );
  }

  private tick(): void {
    this.logPendingDrops(false);
    if (this.clock() - this.lastMaintenanceAt >= this.maintenanceIntervalMs) this.maintainStore();
    if (this.buffer.length > 0) this.schedulePump();
  }

  /** Starts writing on a later turn of the event loop, never inside record()'s caller. */
  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping || this.retryTimer !== undefined) return;
    if (this.state !== "open") return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.buffer.length > 0 && this.state === "open" && this.retryTimer === undefined) {
        const error = await this.writeNextBatch();
        if (error !== undefined) {
          this.scheduleRetry();
          return;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private scheduleRetry(): void {
    if (this.state !== "open" || this.retryTimer !== undefined) return;
    // Jitter so replicas that lost the same database do not all come back at once.
    const delay = this.retryDelayMs * (0.75 + Math.random() * 0.5);
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.maxRetryDelayMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedulePump();
    }, delay);
    this.retryTimer.unref();
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private noteDropped(count: number, reason: DropReason, detail?: string): void {
    this.dropped += count;
    this.droppedByReason[reason] += count;
    this.droppedSinceLog += count;
    this.dropReasonsSinceLog.add(reason);
    if (detail !== undefined) this.lastInvalidDetail = detail;
    this.logPendingDrops(false);
  }

  /** Logs drops not yet reported, at most once per interval unless `force`. */
  private logPendingDrops(force: boolean): void {
    if (this.droppedSinceLog === 0) return;
    const now = this.clock();
    if (!force && now - this.lastDropLogAt < this.dropLogIntervalMs) return;
    this.log(
      "warn",
      {
        dropped: this.droppedSinceLog,
        droppedTotal: this.dropped,
        reasons: [...this.dropReasonsSinceLog],
        ...(this.lastInvalidDetail === undefined ? {} : { invalid: this.lastInvalidDetail }),
        buffered: this.buffer.length,
        maxBufferedRecords: this.maxBufferedRecords,
      },
      "prediction records dropped",
    );
    this.lastDropLogAt = now;
    this.droppedSinceLog = 0;
    this.dropReasonsSinceLog = new Set();
    this.lastInvalidDetail = undefined;
  }

  /** Logging must never break the log itself (record() promises not to throw). */
  private log(level: "info" | "warn" | "error", details: object, message: string): void {
    try {
      this.logger[level](details, message);
    } catch {
      // Nothing sensible left to report to.
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
}
