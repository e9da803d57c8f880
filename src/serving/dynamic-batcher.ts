// Gathers concurrent score() calls into model batches. A batch goes to an idle worker at once when
// every worker is idle (no one to wait for) or the queue holds a full batch; while some workers are
// busy, a partial batch waits at most maxDelayMs for more texts. Queued texts are spread over idle
// workers in slices of at least MIN_SPLIT_BATCH. Texts left in the queue are bounded
// (back-pressure) and every request has a deadline.
import type { Prediction } from "../model/inference.js";
import type { BatchResult, ServedModel } from "./inference-worker-pool.js";
import { RecentSamples } from "./recent-samples.js";
import { isServingError, ServingError } from "./serving-error.js";

/** What the batcher needs from a worker pool. */
export interface BatchExecutor {
  idleWorkerCount(): number;
  busyWorkerCount(): number;
  run(texts: string[]): Promise<BatchResult>;
  onWorkerIdle(listener: () => void): () => void;
}

export interface DynamicBatcherOptions {
  /** Most texts in one model call. */
  maxBatchSize: number;
  /** Longest a partial batch waits for more texts while other workers are busy. */
  maxDelayMs: number;
  /** Texts waiting for a worker beyond which new requests are refused with `overloaded`. */
  maxQueuedTexts: number;
  /** Default time a request may take before it fails with `deadline_exceeded`. */
  deadlineMs: number;
  now?: () => number;
  /** Told about every batch the model scored (metrics); what it throws is ignored. */
  onBatch?: (batch: CompletedBatch) => void;
}

/** One model call that returned predictions. */
export interface CompletedBatch {
  /** Texts in the batch. */
  size: number;
  /** model.predict time inside the worker, in milliseconds. */
  computeMs: number;
  /** Dispatch to result, in milliseconds. */
  roundTripMs: number;
}

export interface ScoredTexts {
  /** One prediction per input text, in input order. */
  predictions: Prediction[];
  /** The model that scored the request (the last one, if a reload happened in between). */
  model: ServedModel;
}

export interface ScoreOptions {
  /** Overrides the batcher's default deadline for this request. */
  deadlineMs?: number;
}

export interface DynamicBatcherStats {
  queuedTexts: number;
  queuedRequests: number;
  inFlightBatches: number;
  requestsAccepted: number;
  requestsSucceeded: number;
  requestsFailed: number;
  rejectedOverloaded: number;
  deadlineExceeded: number;
  batches: number;
  batchedTexts: number;
  /** batch size -> number of batches of that size */
  batchSizeCounts: Record<number, number>;
  /** Per batch: dispatch to result, in milliseconds. */
  batchRoundTripMs: { count: number; sum: number; recent: number[] };
  /** Per batch: model.predict time inside the worker, in milliseconds. */
  inferenceMs: { count: number; sum: number; recent: number[] };
  /** Per request: enqueue to dispatch of its first text, in milliseconds. */
  queueWaitMs: { count: number; sum: number; recent: number[] };
}

interface PendingRequest {
  readonly texts: readonly string[];
  readonly predictions: Prediction[];
  readonly enqueuedAt: number;
  /** Index of the first text not yet sent to a worker. */
  nextIndex: number;
  /** Texts not yet scored. */
  remaining: number;
  settled: boolean;
  deadlineTimer: NodeJS.Timeout | undefined;
  resolve: (scored: ScoredTexts) => void;
  reject: (error: ServingError) => void;
}

interface BatchPart {
  request: PendingRequest;
  start: number;
  count: number;
}

const MAX_RETRY_AFTER_SECONDS = 30;

/**
 * Fewest texts a batch is cut to when queued texts are spread over idle workers. A model call
 * has a fixed cost (about 100 µs of CPU for the shipped model, then 25-40 µs a text), so
 * splitting a few texts over two workers costs more CPU than it saves in latency; on 2 cores
 * one batch of up to 8 gave 2-4% more single-text requests/s at c64 than 1 + 1, 2 + 1...
 */
export const MIN_SPLIT_BATCH = 8;

export class DynamicBatcher {
  private readonly options: DynamicBatcherOptions;
  private readonly now: () => number;
  private queue: PendingRequest[] = [];
  private head = 0;
  private queuedTexts = 0;
  private queuedRequests = 0;
  private inFlightBatches = 0;
  private flushScheduled = false;
  private delayTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly drainListeners = new Set<() => void>();
  private readonly unsubscribe: () => void;
  /** Smoothed milliseconds of worker time per text, for Retry-After estimates. */
  private msPerText = 0;
  private readonly counters = {
    requestsAccepted: 0,
    requestsSucceeded: 0,
    requestsFailed: 0,
    rejectedOverloaded: 0,
    deadlineExceeded: 0,
    batches: 0,
    batchedTexts: 0,
  };
  private readonly batchSizeCounts = new Map<number, number>();
  private readonly batchRoundTripMs = new RecentSamples();
  private readonly inferenceMs = new RecentSamples();
  private readonly queueWaitMs = new RecentSamples();

  constructor(
    private readonly executor: BatchExecutor,
    options: DynamicBatcherOptions,
  ) {
    for (const key of ["maxBatchSize", "maxQueuedTexts", "deadlineMs"] as const) {
      if (!(options[key] >= 1)) throw new RangeError(`${key} must be at least 1`);
    }
    if (!(options.maxDelayMs >= 0)) throw new RangeError("maxDelayMs must be at least 0");
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.unsubscribe = executor.onWorkerIdle(() => this.scheduleFlush());
  }

  /**
   * Scores `texts`, possibly together with other callers' texts. Rejects at once with `overloaded`
   * when the queue is full, with `deadline_exceeded` when the deadline passes first, and with the
   * worker's error (`inference_worker_crashed`, `inference_failed`) if its batch fails.
   */
  score(texts: readonly string[], options: ScoreOptions = {}): Promise<ScoredTexts> {
    if (this.closing) {
      return Promise.reject(new ServingError("shutting_down", "the server is shutting down"));
    }
    if (this.queuedTexts + texts.length > this.options.maxQueuedTexts) {
      this.counters.rejectedOverloaded++;
      const retryAfterSeconds = this.suggestedRetryAfterSeconds();
      return Promise.reject(
        new ServingError(
          "overloaded",
          `too many texts waiting (${this.queuedTexts} queued, limit ${this.options.maxQueuedTexts})`,
          { retryAfterSeconds },
        ),
      );
    }
    if (texts.length === 0) {
      return Promise.reject(new RangeError("score() needs at least one text"));
    }
    return new Promise<ScoredTexts>((resolve, reject) => {
      const request: PendingRequest = {
        texts,
        predictions: new Array(texts.length),
        enqueuedAt: this.now(),
        nextIndex: 0,
        remaining: texts.length,
        settled: false,
        deadlineTimer: undefined,
        resolve,
        reject,
      };
      this.counters.requestsAccepted++;
      const deadlineMs = options.deadlineMs ?? this.options.deadlineMs;
      request.deadlineTimer = setTimeout(() => {
        this.counters.deadlineExceeded++;
        this.fail(
          request,
          new ServingError("deadline_exceeded", `not scored within ${deadlineMs} ms`),
        );
      }, deadlineMs);
      request.deadlineTimer.unref();
      this.queue.push(request);
      this.queuedTexts += texts.length;
      this.queuedRequests++;
      this.scheduleFlush();
    });
  }

  /**
   * Refuses new requests (`shutting_down`), waits up to `drainTimeoutMs` for queued and in-flight
   * work, then fails whatever is left with `shutting_down`.
   */
  async close(drainTimeoutMs = 10_000): Promise<void> {
    this.closing = true;
    if (!this.isDrained()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, drainTimeoutMs);
        const listener = () => {
          if (this.isDrained()) done();
        };
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.drainListeners.add(listener);
        timer.unref();
      });
      this.drainListeners.clear();
    }
    for (let index = this.head; index < this.queue.length; index++) {
      const request = this.queue[index];
      if (request !== undefined) {
        this.fail(request, new ServingError("shutting_down", "the server shut down first"));
      }
    }
    this.queue = [];
    this.head = 0;
    clearTimeout(this.delayTimer);
    this.unsubscribe();
  }

  /** Seconds after which the queue is likely to have room again. */
  suggestedRetryAfterSeconds(): number {
    const workers = Math.max(1, this.executor.idleWorkerCount() + this.executor.busyWorkerCount());
    const seconds = Math.ceil((this.queuedTexts * this.msPerText) / workers / 1000);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
  }

  stats(): DynamicBatcherStats {
    return {
      queuedTexts: this.queuedTexts,
      queuedRequests: this.queuedRequests,
      inFlightBatches: this.inFlightBatches,
      ...this.counters,
      batchSizeCounts: Object.fromEntries([...this.batchSizeCounts].sort(([a], [b]) => a - b)),
      batchRoundTripMs: this.batchRoundTripMs.snapshot(),
      inferenceMs: this.inferenceMs.snapshot(),
      queueWaitMs: this.queueWaitMs.snapshot(),
    };
  }

  private isDrained(): boolean {
    return this.queuedTexts === 0 && this.inFlightBatches === 0;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate lets callers arriving in the same event-loop turn join the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    if (this.queuedTexts === 0) return;
    if (this.queuedTexts < this.options.maxBatchSize && this.executor.busyWorkerCount() > 0) {
      // Others are busy, so this batch may still grow; wait for it only up to maxDelayMs.
      const waited = this.now() - this.oldestEnqueuedAt();
      if (waited < this.options.maxDelayMs) {
        this.delayTimer = setTimeout(() => this.flush(), this.options.maxDelayMs - waited);
        return;
      }
    }
    for (;;) {
      const idle = this.executor.idleWorkerCount();
      if (idle === 0 || this.queuedTexts === 0) return;
      // Spread what is queued over the idle workers rather than loading one and idling others,
      // but not in slices smaller than MIN_SPLIT_BATCH.
      const size = Math.min(
        this.options.maxBatchSize,
        Math.max(MIN_SPLIT_BATCH, Math.ceil(this.queuedTexts / idle)),
      );
      this.dispatch(this.takeBatch(size));
    }
  }

  private oldestEnqueuedAt(): number {
    this.dropSettledHead();
    return this.queue[this.head]?.enqueuedAt ?? this.now();
  }

  private dropSettledHead(): void {
    while (this.head < this.queue.length && this.queue[this.head]?.settled) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private takeBatch(size: number): { texts: string[]; parts: BatchPart[] } {
    const texts: string[] = [];
    const parts: BatchPart[] = [];
    const dispatchedAt = this.now();
    while (texts.length < size) {
      this.dropSettledHead();
      const request = this.queue[this.head];
      if (request === undefined) break;
      const start = request.nextIndex;
      const count = Math.min(size - texts.length, request.texts.length - start);
      if (start === 0) this.queueWaitMs.add(dispatchedAt - request.enqueuedAt);
      for (let index = start; index < start + count; index++)
        texts.push(request.texts[index] ?? "");
      parts.push({ request, start, count });
      request.nextIndex += count;
      this.queuedTexts -= count;
      if (request.nextIndex === request.texts.length) {
        this.queuedRequests--;
        this.head++;
      }
    }
    return { texts, parts };
  }

  private dispatch(batch: { texts: string[]; parts: BatchPart[] }): void {
    const size = batch.texts.length;
    this.inFlightBatches++;
    this.counters.batches++;
    this.counters.batchedTexts += size;
    this.batchSizeCounts.set(size, (this.batchSizeCounts.get(size) ?? 0) + 1);
    const started = this.now();
    this.executor.run(batch.texts).then(
      (result) => {
        const roundTripMs = this.now() - started;
        this.batchRoundTripMs.add(roundTripMs);
        this.inferenceMs.add(result.computeMs);
        try {
          this.options.onBatch?.({ size, computeMs: result.computeMs, roundTripMs });
        } catch {
          // Metrics must never fail scoring.
        }
        this.msPerText =
          this.msPerText === 0
            ? roundTripMs / size
            : 0.8 * this.msPerText + 0.2 * (roundTripMs / size);
        let offset = 0;
        for (const part of batch.parts) {
          this.fulfil(part, result, offset);
          offset += part.count;
        }
        this.batchDone();
      },
      (error: unknown) => {
        const servingError = isServingError(error)
          ? error
          : new ServingError("inference_failed", String(error), { cause: error });
        for (const part of batch.parts) this.fail(part.request, servingError);
        this.batchDone();
      },
    );
  }

  private fulfil(part: BatchPart, result: BatchResult, offset: number): void {
    const request = part.request;
    if (request.settled) return;
    for (let index = 0; index < part.count; index++) {
      const prediction = result.predictions[offset + index];
      if (prediction === undefined) {
        this.fail(
          request,
          new ServingError("inference_failed", "batch returned too few predictions"),
        );
        return;
      }
      request.predictions[part.start + index] = prediction;
    }
    request.remaining -= part.count;
    if (request.remaining === 0) {
      request.settled = true;
      clearTimeout(request.deadlineTimer);
      this.counters.requestsSucceeded++;
      request.resolve({ predictions: request.predictions, model: result.model });
    }
  }

  private fail(request: PendingRequest, error: ServingError): void {
    if (request.settled) return;
    request.settled = true;
    clearTimeout(request.deadlineTimer);
    const undispatched = request.texts.length - request.nextIndex;
    if (undispatched > 0) {
      this.queuedTexts -= undispatched;
      this.queuedRequests--;
      request.nextIndex = request.texts.length;
    }
    this.counters.requestsFailed++;
    request.reject(error);
    if (this.closing) this.notifyDrain();
  }

  private batchDone(): void {
    this.inFlightBatches--;
    this.notifyDrain();
  }

  private notifyDrain(): void {
    for (const listener of this.drainListeners) listener();
  }
}
