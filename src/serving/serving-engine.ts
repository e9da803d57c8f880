// The serving engine the HTTP layer talks to: a pool of inference worker threads behind a dynamic
// batcher. Knows nothing of HTTP.
import {
  type CompletedBatch,
  DynamicBatcher,
  type DynamicBatcherStats,
  type ScoredTexts,
  type ScoreOptions,
} from "./dynamic-batcher.js";
import {
  InferenceWorkerPool,
  type InferenceWorkerPoolOptions,
  type InferenceWorkerPoolStats,
  type ServedModel,
} from "./inference-worker-pool.js";
import { ServingError } from "./serving-error.js";

export interface ServingEngineOptions extends InferenceWorkerPoolOptions {
  /** Most texts per model call. */
  maxBatchSize?: number;
  /** Longest a partial batch waits for more texts while other workers are busy. */
  maxDelayMs?: number;
  /** Queued texts beyond which requests are refused with `overloaded`; at least the largest request. */
  maxQueuedTexts?: number;
  /** Default per-request deadline. */
  deadlineMs?: number;
  /** Told about every batch the model scored (metrics); what it throws is ignored. */
  onBatch?: (batch: CompletedBatch) => void;
}

/**
 * Defaults from measuring the model (wasm backend, CPU time per predict call): ~0.5 ms fixed cost
 * per call plus ~0.17 ms per text, so throughput per core is ~94% of its peak at 16 texts, ~100%
 * at 32, and no better at 64+ while a batch takes twice as long. A partial batch waits at most
 * 2 ms (a few call overheads) while other workers are busy. 4096 queued texts is well under a
 * second of work for two workers and holds 64 concurrent requests of 64 texts.
 */
export const DEFAULT_SERVING_LIMITS = {
  maxBatchSize: 32,
  maxDelayMs: 2,
  maxQueuedTexts: 4096,
  deadlineMs: 5_000,
} as const;

export interface ServingStats {
  ready: boolean;
  model: ServedModel | undefined;
  batching: DynamicBatcherStats;
  workers: InferenceWorkerPoolStats;
}

export class ServingEngine {
  /** Resolves when every worker has loaded and warmed up the first model. */
  readonly ready: Promise<ServedModel>;
  private readonly pool: InferenceWorkerPool;
  private readonly batcher: DynamicBatcher;
  private closed: Promise<void> | undefined;

  /** Starts loading the model in worker threads at once; await `ready` before serving traffic. */
  constructor(options: ServingEngineOptions) {
    this.pool = new InferenceWorkerPool(options);
    this.batcher = new DynamicBatcher(this.pool, {
      maxBatchSize: options.maxBatchSize ?? DEFAULT_SERVING_LIMITS.maxBatchSize,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_SERVING_LIMITS.maxDelayMs,
      maxQueuedTexts: options.maxQueuedTexts ?? DEFAULT_SERVING_LIMITS.maxQueuedTexts,
      deadlineMs: options.deadlineMs ?? DEFAULT_SERVING_LIMITS.deadlineMs,
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    });
    this.ready = this.pool.ready;
  }

  /** For readiness probes: the model is loaded and warmed up, a worker is alive, not closing. */
  isReady(): boolean {
    return this.closed === undefined && this.pool.isReady();
  }

  /** The model that new requests go to (metadata, backend, directory), once loaded. */
  get model(): ServedModel | undefined {
    return this.pool.model;
  }

  /**
   * Scores texts (one prediction per text, in order). Fails with a ServingError: `model_not_ready`
   * before the first model has loaded, `overloaded` (with retryAfterSeconds), `deadline_exceeded`,
   * `inference_worker_crashed`, `inference_failed` or `shutting_down`.
   */
  score(texts: readonly string[], options: ScoreOptions = {}): Promise<ScoredTexts> {
    if (this.closed !== undefined) {
      return Promise.reject(new ServingError("shutting_down", "the server is shutting down"));
    }
    if (this.pool.model === undefined) {
      return Promise.reject(new ServingError("model_not_ready", "the model is still loading"));
    }
    return this.batcher.score(texts, options);
  }

  /** Switches to the model in `modelDir` without dropping requests; see InferenceWorkerPool.reload. */
  reload(modelDir: string): Promise<ServedModel> {
    return this.pool.reload(modelDir);
  }

  stats(): ServingStats {
    return {
      ready: this.isReady(),
      model: this.pool.model,
      batching: this.batcher.stats(),
      workers: this.pool.stats(),
    };
  }

  /** Stops taking requests, finishes queued and in-flight work (up to drainTimeoutMs), stops workers. */
  close(drainTimeoutMs = 10_000): Promise<void> {
    this.closed ??= (async () => {
      const started = performance.now();
      await this.batcher.close(drainTimeoutMs);
      const left = Math.max(0, drainTimeoutMs - (performance.now() - started));
      await this.pool.close(left);
    })();
    return this.closed;
  }

  /** Test-only: see InferenceWorkerPool.crashWorkersOnNextBatchForTesting. */
  crashWorkersOnNextBatchForTesting(): number {
    return this.pool.crashWorkersOnNextBatchForTesting();
  }
}
