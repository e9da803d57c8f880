// A fixed-size set of worker threads, each holding one model instance and running one batch at a
// time. Crashed workers are replaced; reload swaps in a new generation of workers without
// dropping in-flight batches.
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { BackendChoice } from "../model/backend.js";
import type { Prediction } from "../model/inference.js";
import type { LabelRule } from "../model/labels.js";
import type { ModelMetadata, Thresholds } from "../model/metadata.js";
import { ServingError } from "./serving-error.js";
import {
  decodePredictions,
  type InferenceWorkerConfig,
  type InferenceWorkerReply,
  type InferenceWorkerRequest,
} from "./worker-protocol.js";
import { siblingModuleUrl, startModuleWorker } from "./worker-thread-launcher.js";

/** The model a generation of workers serves, as reported by its first ready worker. */
export interface ServedModel {
  directory: string;
  backend: string;
  metadata: ModelMetadata;
  /** The rule labels come from (`thresholds` for a binary folder whatever was asked). */
  labelRule: LabelRule;
  /** The thresholds in use: metadata.json's unless overridden. */
  thresholds: Thresholds;
}

export interface InferenceWorkerPoolOptions {
  modelDir: string;
  /** Worker threads, each with its own model instance. Default: os.availableParallelism(). */
  workers?: number;
  backend?: BackendChoice;
  thresholds?: Thresholds;
  /** The label rule for 3-class models (default `model`); binary folders always use thresholds. */
  labelRule?: LabelRule;
  /** Predicted once per worker before it counts as ready. */
  warmUpTexts?: string[];
  /** A worker that has not loaded its model within this time fails to load. Default 120 s. */
  loadTimeoutMs?: number;
  /** A batch running longer than this terminates its worker as crashed. Default 60 s. */
  batchTimeoutMs?: number;
  /** First retry delay when a replacement worker fails to load (doubles up to 30 s). Default 1 s. */
  restartDelayMs?: number;
}

export interface BatchResult {
  predictions: Prediction[];
  model: ServedModel;
  /** Time spent in model.predict inside the worker. */
  computeMs: number;
}

export interface InferenceWorkerPoolStats {
  size: number;
  idle: number;
  busy: number;
  loading: number;
  workersStarted: number;
  workerCrashes: number;
  workersReplaced: number;
  reloads: number;
  reloadFailures: number;
  lastError: string | undefined;
}

export const DEFAULT_WARM_UP_TEXTS = [
  "what a wonderful day, I love it",
  "this is the worst service ever",
  "the meeting is at 3pm",
];

const MAX_RESTART_DELAY_MS = 30_000;

type WorkerState = "loading" | "idle" | "busy" | "exited";

interface InFlightBatch {
  id: number;
  resolve: (result: BatchResult) => void;
  reject: (error: ServingError) => void;
  watchdog: NodeJS.Timeout;
}

interface ModelGeneration {
  readonly config: InferenceWorkerConfig;
  readonly workers: Set<PoolWorker>;
  model: ServedModel | undefined;
  retired: boolean;
  consecutiveLoadFailures: number;
}

interface PoolWorker {
  readonly thread: Worker;
  readonly generation: ModelGeneration;
  readonly loaded: Promise<ServedModel>;
  state: WorkerState;
  inFlight: InFlightBatch | undefined;
  /** Set when the pool itself terminates the thread, so its exit is not a crash. */
  terminatedByPool: boolean;
  lastError: string | undefined;
}

export class InferenceWorkerPool {
  /** Resolves once every worker of the first model has loaded and warmed up. */
  readonly ready: Promise<ServedModel>;
  readonly size: number;

  private readonly options: InferenceWorkerPoolOptions;
  private current: ModelGeneration;
  private readonly allWorkers = new Set<PoolWorker>();
  private readonly idleListeners = new Set<() => void>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private reloadQueue: Promise<unknown> = Promise.resolve();
  private nextBatchId = 1;
  private readyResolved = false;
  private closing = false;
  private counters = {
    workersStarted: 0,
    workerCrashes: 0,
    workersReplaced: 0,
    reloads: 0,
    reloadFailures: 0,
  };
  private lastError: string | undefined;

  constructor(options: InferenceWorkerPoolOptions) {
    this.options = options;
    this.size = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
    this.current = this.createGeneration(options.modelDir);
    this.ready = this.startGeneration(this.current).then((model) => {
      this.readyResolved = true;
      return model;
    });
    // Callers may never await `ready`; a failed first load must not become an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** True when the first model is loaded, the pool is not closing and a worker is alive. */
  isReady(): boolean {
    if (!this.readyResolved || this.closing) return false;
    for (const worker of this.current.workers) {
      if (worker.state === "idle" || worker.state === "busy") return true;
    }
    return false;
  }

  /** The model new batches go to, once loaded. */
  get model(): ServedModel | undefined {
    return this.current.model;
  }

  idleWorkerCount(): number {
    return this.countCurrent("idle");
  }

  busyWorkerCount(): number {
    return this.countCurrent("busy");
  }

  /**
   * Calls `listener` whenever a worker may have become free to take a batch (a batch finished, a
   * worker became ready or exited). Returns an unsubscribe function.
   */
  onWorkerIdle(listener: () => void): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }

  /**
   * Runs one batch on an idle worker of the current model. Callers check idleWorkerCount() first;
   * with no idle worker this rejects with `model_not_ready`.
   */
  run(texts: string[]): Promise<BatchResult> {
    if (this.closing) {
      return Promise.reject(new ServingError("shutting_down", "the inference pool is closing"));
    }
    const worker = this.findIdleWorker();
    const model = this.current.model;
    if (worker === undefined || model === undefined) {
      return Promise.reject(new ServingError("model_not_ready", "no idle inference worker"));
    }
    const id = this.nextBatchId++;
    worker.state = "busy";
    return new Promise<BatchResult>((resolve, reject) => {
      const watchdog = setTimeout(() => {
        worker.lastError = `batch ${id} exceeded ${this.batchTimeoutMs} ms`;
        void worker.thread.terminate();
      }, this.batchTimeoutMs);
      worker.inFlight = { id, resolve, reject, watchdog };
      this.post(worker, { type: "predict", id, texts });
    });
  }

  /**
   * Starts workers on the model in `modelDir`, waits until they are warmed up, sends new batches to
   * them and retires the old workers once their in-flight batches finish. If the new model fails
   * to load, the old one keeps serving and this rejects with `model_load_failed`.
   * Concurrent reloads run one after another.
   */
  reload(modelDir: string): Promise<ServedModel> {
    const reloading = this.reloadQueue.then(() => this.reloadNow(modelDir));
    this.reloadQueue = reloading.catch(() => {});
    return reloading;
  }

  /**
   * Waits up to `drainTimeoutMs` for in-flight batches, then terminates every worker; batches still
   * running fail with `shutting_down`.
   */
  async close(drainTimeoutMs = 10_000): Promise<void> {
    this.closing = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    await this.waitUntil(
      () => ![...this.allWorkers].some((w) => w.state === "busy"),
      drainTimeoutMs,
    );
    await Promise.all([...this.allWorkers].map((worker) => this.terminate(worker)));
  }

  /**
   * Test-only hook: makes every ready worker of the current model exit (code 1) when it receives
   * its next batch, as a real crash would. Returns the number of workers armed.
   */
  crashWorkersOnNextBatchForTesting(): number {
    let armed = 0;
    for (const worker of this.current.workers) {
      if (worker.state === "idle" || worker.state === "busy") {
        this.post(worker, { type: "crash_on_next_predict" });
        armed++;
      }
    }
    return armed;
  }

  stats(): InferenceWorkerPoolStats {
    return {
      size: this.size,
      idle: this.countCurrent("idle"),
      busy: this.countCurrent("busy"),
      loading: this.countCurrent("loading"),
      ...this.counters,
      lastError: this.lastError,
    };
  }

  private get batchTimeoutMs(): number {
    return this.options.batchTimeoutMs ?? 60_000;
  }

  private countCurrent(state: WorkerState): number {
    let count = 0;
    for (const worker of this.current.workers) if (worker.state === state) count++;
    return count;
  }

  private findIdleWorker(): PoolWorker | undefined {
    for (const worker of this.current.workers) if (worker.state === "idle") return worker;
    return undefined;
  }

  private createGeneration(modelDir: string): ModelGeneration {
    const config: InferenceWorkerConfig = {
      modelDir,
      warmUpTexts: this.options.warmUpTexts ?? DEFAULT_WARM_UP_TEXTS,
    };
    if (this.options.backend !== undefined) config.backend = this.options.backend;
    if (this.options.thresholds !== undefined) config.thresholds = this.options.thresholds;
    if (this.options.labelRule !== undefined) config.labelRule = this.options.labelRule;
    return {
      config,
      workers: new Set(),
      model: undefined,
      retired: false,
      consecutiveLoadFailures: 0,
    };
  }

  /** Starts `size` workers on the generation; on any load failure terminates them all. */
  private async startGeneration(generation: ModelGeneration): Promise<ServedModel> {
    const workers = Array.from({ length: this.size }, () => this.spawn(generation));
    try {
      await Promise.all(workers.map((worker) => worker.loaded));
    } catch (error) {
      generation.retired = true;
      // A worker that did load must not make the failed generation look servable.
      generation.model = undefined;
      await Promise.all(workers.map((worker) => this.terminate(worker)));
      throw error;
    }
    if (this.closing) {
      generation.retired = true;
      await Promise.all(workers.map((worker) => this.terminate(worker)));
      throw new ServingError("shutting_down", "the inference pool closed while loading a model");
    }
    const model = generation.model;
    if (model === undefined)
      throw new ServingError("model_load_failed", "no worker reported ready");
    this.notifyIdle();
    return model;
  }

  private async reloadNow(modelDir: string): Promise<ServedModel> {
    if (this.closing) throw new ServingError("shutting_down", "the inference pool is closing");
    const generation = this.createGeneration(modelDir);
    let model: ServedModel;
    try {
      model = await this.startGeneration(generation);
    } catch (error) {
      this.counters.reloadFailures++;
      throw error;
    }
    const previous = this.current;
    this.current = generation;
    this.readyResolved = true;
    previous.retired = true;
    for (const worker of previous.workers) {
      if (worker.state !== "busy") void this.terminate(worker);
    }
    this.counters.reloads++;
    this.notifyIdle();
    return model;
  }

  private spawn(generation: ModelGeneration): PoolWorker {
    const thread = startModuleWorker(siblingModuleUrl("inference-worker"), {
      workerData: generation.config,
      name: "inference-worker",
    });
    let markLoaded: (model: ServedModel) => void = () => {};
    let failLoad: (error: ServingError) => void = () => {};
    const loaded = new Promise<ServedModel>((resolve, reject) => {
      markLoaded = resolve;
      failLoad = reject;
    });
    loaded.catch(() => {});
    const worker: PoolWorker = {
      thread,
      generation,
      loaded,
      state: "loading",
      inFlight: undefined,
      terminatedByPool: false,
      lastError: undefined,
    };
    generation.workers.add(worker);
    this.allWorkers.add(worker);
    this.counters.workersStarted++;

    const loadTimeoutMs = this.options.loadTimeoutMs ?? 120_000;
    const loadTimer = setTimeout(() => {
      worker.lastError = `model did not load within ${loadTimeoutMs} ms`;
      void this.terminate(worker);
    }, loadTimeoutMs);

    thread.on("message", (reply: InferenceWorkerReply) => {
      if (reply.type === "ready") {
        clearTimeout(loadTimer);
        const model = {
          directory: generation.config.modelDir,
          backend: reply.backend,
          metadata: reply.metadata,
          labelRule: reply.labelRule,
          thresholds: reply.thresholds,
        };
        generation.model ??= model;
        worker.state = "idle";
        markLoaded(generation.model);
        if (generation.retired || this.closing) void this.terminate(worker);
      } else if (reply.type === "load_failed") {
        clearTimeout(loadTimer);
        worker.lastError = reply.message;
        void this.terminate(worker);
      } else {
        this.finishBatch(worker, reply);
      }
    });
    thread.on("error", (error) => {
      worker.lastError = error.message;
    });
    thread.on("exit", (exitCode) => {
      clearTimeout(loadTimer);
      const previousState = worker.state;
      worker.state = "exited";
      generation.workers.delete(worker);
      this.allWorkers.delete(worker);
      const reason = worker.lastError ?? `inference worker exited with code ${exitCode}`;
      if (previousState === "loading") {
        this.lastError = reason;
        failLoad(
          new ServingError(
            "model_load_failed",
            `could not load model from ${generation.config.modelDir}: ${reason}`,
          ),
        );
        return;
      }
      const inFlight = worker.inFlight;
      worker.inFlight = undefined;
      if (inFlight !== undefined) {
        clearTimeout(inFlight.watchdog);
        inFlight.reject(
          worker.terminatedByPool && this.closing
            ? new ServingError("shutting_down", "the inference pool closed during the batch")
            : new ServingError("inference_worker_crashed", `inference worker crashed: ${reason}`),
        );
      }
      if (!worker.terminatedByPool) {
        this.counters.workerCrashes++;
        this.lastError = reason;
        this.replace(generation);
      }
      this.notifyIdle();
    });
    return worker;
  }

  private finishBatch(
    worker: PoolWorker,
    reply: Extract<InferenceWorkerReply, { type: "predictions" | "predict_failed" }>,
  ): void {
    const inFlight = worker.inFlight;
    if (inFlight === undefined || inFlight.id !== reply.id) return;
    clearTimeout(inFlight.watchdog);
    worker.inFlight = undefined;
    worker.state = "idle";
    const model = worker.generation.model;
    if (reply.type === "predict_failed" || model === undefined) {
      const message = reply.type === "predict_failed" ? reply.message : "model not reported";
      inFlight.reject(new ServingError("inference_failed", `inference failed: ${message}`));
    } else {
      try {
        const predictions = decodePredictions(reply);
        inFlight.resolve({ predictions, model, computeMs: reply.computeMs });
      } catch (error) {
        inFlight.reject(new ServingError("inference_failed", String(error), { cause: error }));
      }
    }
    if (worker.generation.retired || this.closing) {
      void this.terminate(worker);
    }
    this.notifyIdle();
  }

  /** Starts a replacement for a crashed worker, retrying with backoff if it fails to load. */
  private replace(generation: ModelGeneration): void {
    if (this.closing || generation.retired) return;
    const failures = generation.consecutiveLoadFailures;
    const base = this.options.restartDelayMs ?? 1_000;
    const delay = failures === 0 ? 0 : Math.min(base * 2 ** (failures - 1), MAX_RESTART_DELAY_MS);
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.closing || generation.retired) return;
      const worker = this.spawn(generation);
      worker.loaded.then(
        () => {
          generation.consecutiveLoadFailures = 0;
          this.counters.workersReplaced++;
          this.notifyIdle();
        },
        () => {
          generation.consecutiveLoadFailures++;
          this.replace(generation);
        },
      );
    }, delay);
    this.restartTimers.add(timer);
  }

  private post(worker: PoolWorker, request: InferenceWorkerRequest): void {
    try {
      worker.thread.postMessage(request);
    } catch (error) {
      // The thread is gone or the message cannot be cloned: fail the batch like a crash would.
      worker.lastError = String(error);
      void worker.thread.terminate();
    }
  }

  private async terminate(worker: PoolWorker): Promise<void> {
    if (worker.state === "exited") return;
    worker.terminatedByPool = true;
    await worker.thread.terminate();
  }

  private notifyIdle(): void {
    for (const listener of this.idleListeners) listener();
  }

  /** Resolves when `condition` holds (checked after every finished batch) or after `timeoutMs`. */
  private waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const unsubscribe = this.onWorkerIdle(() => {
        if (condition()) done();
      });
    });
  }
}
