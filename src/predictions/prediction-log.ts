import type { PredictionRecord } from "./prediction-record.js";
import type { PredictionSink } from "./prediction-store.js";

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
  /** Write attempts that failed (each is retried). */
  failedAttempts: number;
  /** Failed attempts since the last successful write. */
  consecutiveFailures: number;
}

export type DropReason = "buffer_full" | "invalid_record" | "log_closed" | "shutdown_timeout";

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
async function writeWithin(write: Promise<void>, ms: number): Promise<void> {
  // A write that lost the race may still settle later; its outcome is ignored on purpose.
  write.catch(() => undefined);
  if ((await within(write, ms)) === "timeout") throw new WriteTimeoutError(ms);
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

  private buffer: PredictionRecord[] = [];
  private written = 0;
  private dropped = 0;
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
    this.batchSize = positiveInteger(options.batchSize ?? 200, "batchSize");
    this.initialRetryDelayMs = options.initialRetryDelayMs ?? 500;
    this.maxRetryDelayMs = Math.max(options.maxRetryDelayMs ?? 30_000, this.initialRetryDelayMs);
    this.writeTimeoutMs = options.writeTimeoutMs ?? 20_000;
    this.dropLogIntervalMs = options.dropLogIntervalMs ?? 10_000;
    this.clock = options.clock ?? Date.now;
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
    }
  }

  stats(): PredictionLogStats {
    return {
      buffered: this.buffer.length,
      written: this.written,
      dropped: this.dropped,
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
      try {
        await writeWithin(this.writeBatch(batch), this.writeTimeoutMs);
      } catch (error) {
        this.noteWriteFailure(error, batch.length);
        return error ?? new Error("write failed");
      }
      // close() may have given up on these records while the write was in flight.
      if (this.isClosed()) return undefined;
      // Only this (serialised) path removes from the head; record() only appends.
      this.buffer.splice(0, batch.length);
      this.written += batch.length;
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

  private async writeBatch(batch: readonly PredictionRecord[]): Promise<void> {
    if (!this.migrated) {
      await this.store.migrate();
      this.migrated = true;
    }
    await this.store.insertBatch(batch);
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
