// Every Prometheus metric the service exposes, on a registry of its own (not prom-client's global
// one, so tests and several services in one process never share counters). Request-path events
// are recorded through the `record*`/`observe*` methods; state the service already keeps (queue
// depth, worker counts, prediction-log counters) is read at scrape time, so nothing is recorded
// twice and a scrape always shows the current value.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { DROP_REASONS, type PredictionLogStats } from "../predictions/prediction-log.js";
import type { ServingStats } from "../serving/serving-engine.js";
import {
  issuerLabel,
  methodLabel,
  refusalReasonLabel,
  statusLabel,
  UNMATCHED_ROUTE,
} from "./bounded-labels.js";

export interface ServiceMetricsOptions {
  /** ASAP_VALID_ISSUERS: the only issuers that may appear as label values. */
  readonly allowedIssuers?: readonly string[];
  /** Process metrics (CPU, memory, event loop lag, GC, handles). Default true. */
  readonly processMetrics?: boolean;
}

/** Outcome of one public-key lookup by the verifier (cache hits included). */
export type KeyLookupResult =
  | "found"
  | "unknown_key"
  | "invalid_key"
  | "invalid_kid"
  | "unavailable"
  | "error";

/** One model call, as the dynamic batcher reports it. */
export interface BatchObservation {
  /** Texts in the batch. */
  readonly size: number;
  /** Time spent in model.predict inside the worker. */
  readonly computeMs: number;
}

/** What the metrics read from the serving engine at scrape time (ServingEngine fits). */
export interface ServingStatsSource {
  stats(): ServingStats;
}

/** What the metrics read from the prediction log at scrape time (PredictionLog fits). */
export interface PredictionLogStatsSource {
  stats(): PredictionLogStats;
}

export interface HttpRequestObservation {
  /** Route pattern or UNMATCHED_ROUTE, never the raw path (see bounded-labels.ts). */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly durationSeconds: number;
}

const HTTP_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
// The shipped model scores a batch in well under a millisecond to tens of milliseconds.
const INFERENCE_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

const LINT_FAILING_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** Adds a running total kept elsewhere to a counter just reset by its collect callback. */
function setTotal(counter: Counter, total: number, labels: Record<string, string> = {}): void {
  counter.inc(labels, Math.max(0, total));
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly allowedIssuers: ReadonlySet<string>;
  private serving: ServingStatsSource | undefined;
  private predictionLog: PredictionLogStatsSource | undefined;

  private readonly httpRequests: Counter<"route" | "method" | "status">;
  private readonly httpDuration: Histogram<"route" | "method" | "status">;
  private readonly asapRefusals: Counter<"reason">;
  private readonly asapAuthenticated: Counter<"issuer">;
  private readonly keyLookups: Counter<"result">;
  private readonly replayStoreErrors: Counter;
  private readonly tokenCacheLookups: Counter<"result">;
  private readonly inferenceDuration: Histogram;
  private readonly batchSize: Histogram;

  constructor(options: ServiceMetricsOptions = {}) {
    this.allowedIssuers = new Set(options.allowedIssuers ?? []);
    const registers = [this.registry];
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named *_total break the exposition conventions (promtool lint refuses them); each
      // is the sum of its per-type sibling (e.g. nodejs_active_handles), so nothing is lost.
      for (const name of LINT_FAILING_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }

    this.httpRequests = new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by route pattern, method and status.",
      labelNames: ["route", "method", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "http_request_duration_seconds",
      help: "Time from receiving a request to its response, by route pattern, method and status.",
      labelNames: ["route", "method", "status"],
      buckets: HTTP_DURATION_BUCKETS,
      registers,
    });
    this.asapRefusals = new Counter({
      name: "asap_refusals_total",
      help: "Requests refused by ASAP authentication, by refusal code.",
      labelNames: ["reason"],
      registers,
    });
    this.asapAuthenticated = new Counter({
      name: "asap_authenticated_requests_total",
      help: 'Requests with a verified ASAP token, by issuer (issuers outside ASAP_VALID_ISSUERS are "other").',
      labelNames: ["issuer"],
      registers,
    });
    this.keyLookups = new Counter({
      name: "asap_key_lookups_total",
      help: "Public-key lookups by the token verifier (cached answers included), by result.",
      labelNames: ["result"],
      registers,
    });
    this.replayStoreErrors = new Counter({
      name: "replay_store_errors_total",
      help: "Replay-store checks that failed (the token was refused: fail closed).",
      registers,
    });
    this.tokenCacheLookups = new Counter({
      name: "asap_token_cache_lookups_total",
      help: "Reuse mode (replay protection off): tokens found in the verified-token cache (hit) or verified afresh (miss).",
      labelNames: ["result"],
      registers,
    });
    this.inferenceDuration = new Histogram({
      name: "inference_duration_seconds",
      help: "Model compute time per batch, inside the inference worker.",
      buckets: INFERENCE_DURATION_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({
      name: "inference_batch_size",
      help: "Texts per model call.",
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
  }

  /**
   * Reads queue depth, workers, failures and the served model from `source` at each scrape (the
   * metrics appear from the first call on; a later call switches source).
   */
  watchServing(source: ServingStatsSource): void {
    if (this.serving === undefined) this.registerServingCollectors();
    this.serving = source;
  }

  /** Reads the prediction log's buffer and write counters at each scrape. */
  watchPredictionLog(source: PredictionLogStatsSource): void {
    if (this.predictionLog === undefined) this.registerPredictionLogCollectors();
    this.predictionLog = source;
  }

  recordHttpRequest(request: HttpRequestObservation): void {
    const labels = {
      route: request.route || UNMATCHED_ROUTE,
      method: methodLabel(request.method),
      status: statusLabel(request.status),
    };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, Math.max(0, request.durationSeconds));
  }

  /** `code` is the AsapError code; unknown strings count as "other". */
  recordAsapRefusal(code: string): void {
    this.asapRefusals.inc({ reason: refusalReasonLabel(code) });
  }

  /** `issuer` is the verified `iss` claim. */
  recordAsapAuthenticated(issuer: string): void {
    this.asapAuthenticated.inc({ issuer: issuerLabel(issuer, this.allowedIssuers) });
  }

  recordKeyLookup(result: KeyLookupResult): void {
    this.keyLookups.inc({ result });
  }

  recordTokenCacheLookup(result: "hit" | "miss"): void {
    this.tokenCacheLookups.inc({ result });
  }

  recordReplayStoreError(): void {
    this.replayStoreErrors.inc();
  }

  /** For the serving engine's per-batch callback. */
  observeBatch(batch: BatchObservation): void {
    this.batchSize.observe(batch.size);
    this.inferenceDuration.observe(Math.max(0, batch.computeMs) / 1000);
  }

  private registerServingCollectors(): void {
    const registers = [this.registry];
    const stats = () => this.serving?.stats();
    new Gauge({
      name: "inference_queue_depth",
      help: "Texts waiting for an inference worker.",
      registers,
      collect() {
        const current = stats();
        if (current) this.set(current.batching.queuedTexts);
      },
    });
    new Gauge({
      name: "inference_batches_in_flight",
      help: "Batches being scored by inference workers.",
      registers,
      collect() {
        const current = stats();
        if (current) this.set(current.batching.inFlightBatches);
      },
    });
    new Gauge({
      name: "inference_workers",
      help: "Inference worker threads of the current model, by state.",
      labelNames: ["state"],
      registers,
      collect() {
        const current = stats();
        if (!current) return;
        this.set({ state: "idle" }, current.workers.idle);
        this.set({ state: "busy" }, current.workers.busy);
        this.set({ state: "loading" }, current.workers.loading);
      },
    });
    new Counter({
      name: "inference_worker_crashes_total",
      help: "Inference worker threads that died and were replaced.",
      registers,
      collect() {
        const current = stats();
        if (!current) return;
        this.reset();
        setTotal(this, current.workers.workerCrashes);
      },
    });
    new Counter({
      name: "inference_requests_failed_total",
      help: "Scoring requests the engine refused or failed, by reason.",
      labelNames: ["reason"],
      registers,
      collect() {
        const current = stats();
        if (!current) return;
        const { rejectedOverloaded, deadlineExceeded, requestsFailed } = current.batching;
        this.reset();
        setTotal(this, rejectedOverloaded, { reason: "overloaded" });
        setTotal(this, deadlineExceeded, { reason: "deadline_exceeded" });
        setTotal(this, requestsFailed - deadlineExceeded, { reason: "other" });
      },
    });
    new Gauge({
      name: "model_info",
      help: "The model serving new requests (value 1), by name, version and TensorFlow.js backend.",
      labelNames: ["name", "version", "backend"],
      // Each cluster worker reports the same model: one series, not their sum.
      aggregator: "max",
      registers,
      collect() {
        const model = stats()?.model;
        this.reset();
        if (model) {
          const { name, version } = model.metadata;
          this.set({ name, version, backend: model.backend }, 1);
        }
      },
    });
  }

  private registerPredictionLogCollectors(): void {
    const registers = [this.registry];
    const stats = () => this.predictionLog?.stats();
    new Gauge({
      name: "prediction_log_buffered_records",
      help: "Prediction records in memory, not yet written to the store.",
      registers,
      collect() {
        const current = stats();
        if (current) this.set(current.buffered);
      },
    });
    const totals = [
      [
        "prediction_log_records_written_total",
        "Prediction records the store acknowledged.",
        "written",
      ],
      [
        "prediction_log_write_failures_total",
        "Prediction-store writes that failed (each is retried).",
        "failedAttempts",
      ],
      [
        "prediction_log_records_sampled_out_total",
        "Prediction records not logged on purpose: their request was sampled out (PREDICTION_LOG_SAMPLE_RATE).",
        "sampledOut",
      ],
    ] as const;
    for (const [name, help, field] of totals) {
      new Counter({
        name,
        help,
        registers,
        collect() {
          const current = stats();
          if (!current) return;
          this.reset();
          setTotal(this, current[field]);
        },
      });
    }
    new Counter({
      name: "prediction_log_records_dropped_total",
      help: "Prediction records that could not be kept, by reason (buffer full, invalid, after close, unwritten at shutdown).",
      labelNames: ["reason"],
      registers,
      collect() {
        const current = stats();
        if (!current) return;
        this.reset();
        for (const reason of DROP_REASONS) {
          setTotal(this, current.droppedByReason[reason], { reason });
        }
      },
    });
    new Counter({
      name: "prediction_log_records_pruned_total",
      help: "Stored prediction records deleted later, by reason (cap: PREDICTION_LOG_MAX_BYTES, retention: PREDICTION_LOG_RETENTION).",
      labelNames: ["reason"],
      registers,
      collect() {
        const current = stats();
        if (!current) return;
        this.reset();
        setTotal(this, current.pruned.cap, { reason: "cap" });
        setTotal(this, current.pruned.retention, { reason: "retention" });
      },
    });
    new Gauge({
      name: "prediction_log_bytes",
      help: "Bytes the prediction log takes on disk: SQLite file + WAL + shm at the last write, or the PostgreSQL partitions at the last maintenance.",
      registers,
      collect() {
        const bytes = stats()?.bytesOnDisk;
        if (bytes !== undefined) this.set(bytes);
      },
    });
    new Gauge({
      name: "prediction_log_oldest_record_age_seconds",
      help: "Age of the oldest stored prediction record (as of the store's last report).",
      registers,
      collect() {
        const oldest = stats()?.oldestRecordMs;
        if (typeof oldest === "number") this.set(Math.max(0, (Date.now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: "prediction_log_prune_step_max_seconds",
      help: "Longest single pruning step of the prediction store's writer (one transaction).",
      registers,
      collect() {
        const current = stats();
        if (current) this.set(current.longestPruneStepMs / 1000);
      },
    });
  }
}
