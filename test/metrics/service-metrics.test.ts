import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { register as globalRegistry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ServiceMetrics } from "../../src/metrics/service-metrics.js";
import { PredictionLog } from "../../src/predictions/prediction-log.js";
import { predictionRecordOf } from "../../src/predictions/prediction-record.js";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
import { ServingEngine } from "../../src/serving/serving-engine.js";
import { createModelWorkspace, type ModelWorkspace } from "../serving/model-fixture.js";
import { labelValues, promtoolCheck, samplesOf, sampleValue } from "./exposition.js";

// Inference workers load TensorFlow.js and the model; on a loaded 2-core machine that takes seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let workspace: ModelWorkspace;
beforeAll(async () => {
  workspace = await createModelWorkspace();
});
afterAll(async () => {
  await workspace?.cleanup();
});

const silentLogger = { info() {}, warn() {}, error() {} };

describe("ServiceMetrics", () => {
  it("keeps its metrics apart from prom-client's global registry and from other instances", async () => {
    const first = new ServiceMetrics({ processMetrics: false });
    const second = new ServiceMetrics({ processMetrics: false });
    first.recordAsapRefusal("token_expired");
    expect(
      await sampleValue(first.registry, "asap_refusals_total", { reason: "token_expired" }),
    ).toBe(1);
    expect(
      await sampleValue(second.registry, "asap_refusals_total", { reason: "token_expired" }),
    ).toBe(0);
    expect(globalRegistry.getSingleMetric("asap_refusals_total")).toBeUndefined();
  });

  it("counts HTTP requests and observes their duration by route, method and status", async () => {
    const metrics = new ServiceMetrics({ processMetrics: false });
    const request = { route: "/v1/sentiment", method: "post", status: 200 };
    metrics.recordHttpRequest({ ...request, durationSeconds: 0.02 });
    metrics.recordHttpRequest({ ...request, durationSeconds: 0.3 });
    const labels = { route: "/v1/sentiment", method: "POST", status: "200" };
    expect(await sampleValue(metrics.registry, "http_requests_total", labels)).toBe(2);
    const duration = "http_request_duration_seconds";
    expect(await sampleValue(metrics.registry, duration, labels, `${duration}_count`)).toBe(2);
    expect(await sampleValue(metrics.registry, duration, labels, `${duration}_sum`)).toBeCloseTo(
      0.32,
    );
    expect(
      await sampleValue(
        metrics.registry,
        duration,
        { ...labels, le: "0.025" },
        `${duration}_bucket`,
      ),
    ).toBe(1);
  });

  it("counts refusal codes outside the ASAP set as other", async () => {
    const metrics = new ServiceMetrics({ processMetrics: false });
    metrics.recordAsapRefusal("a code nobody defined");
    expect(await labelValues(metrics.registry, "asap_refusals_total", "reason")).toEqual(
      new Set(["other"]),
    );
  });

  it("labels authenticated requests with configured issuers only", async () => {
    const metrics = new ServiceMetrics({ processMetrics: false, allowedIssuers: ["billing"] });
    metrics.recordAsapAuthenticated("billing");
    metrics.recordAsapAuthenticated("somebody-else");
    const name = "asap_authenticated_requests_total";
    expect(await labelValues(metrics.registry, name, "issuer")).toEqual(
      new Set(["billing", "other"]),
    );
  });

  it("feeds the batch-size and inference-duration histograms from batch observations", async () => {
    const metrics = new ServiceMetrics({ processMetrics: false });
    metrics.observeBatch({ size: 3, computeMs: 2 });
    metrics.observeBatch({ size: 32, computeMs: 40 });
    const { registry } = metrics;
    expect(
      await sampleValue(registry, "inference_batch_size", {}, "inference_batch_size_sum"),
    ).toBe(35);
    expect(
      await sampleValue(
        registry,
        "inference_batch_size",
        { le: "4" },
        "inference_batch_size_bucket",
      ),
    ).toBe(1);
    const duration = "inference_duration_seconds";
    expect(await sampleValue(registry, duration, {}, `${duration}_count`)).toBe(2);
    expect(await sampleValue(registry, duration, {}, `${duration}_sum`)).toBeCloseTo(0.042);
  });

  it("exposes no serving or prediction-log metrics until a source is watched", async () => {
    const metrics = new ServiceMetrics({ processMetrics: false });
    const text = await metrics.registry.metrics();
    expect(text).not.toContain("inference_queue_depth");
    expect(text).not.toContain("model_info");
    expect(text).not.toContain("prediction_log_");
  });

  it("includes process metrics by default", async () => {
    const metrics = new ServiceMetrics();
    const text = await metrics.registry.metrics();
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });
});

describe("ServiceMetrics watching a serving engine", () => {
  it("reports queue depth, workers and the served model at scrape time", async () => {
    const engine = new ServingEngine({ modelDir: workspace.modelDir, workers: 1 });
    try {
      const metrics = new ServiceMetrics({ processMetrics: false });
      metrics.watchServing(engine);
      const model = await engine.ready;
      const { registry } = metrics;
      expect(
        await sampleValue(registry, "model_info", {
          name: model.metadata.name,
          version: model.metadata.version,
          backend: model.backend,
        }),
      ).toBe(1);
      expect(await sampleValue(registry, "inference_workers", { state: "idle" })).toBe(1);
      expect(await sampleValue(registry, "inference_queue_depth")).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it("switches model_info to the new version after a reload", async () => {
    const engine = new ServingEngine({ modelDir: workspace.modelDir, workers: 1 });
    try {
      const metrics = new ServiceMetrics({ processMetrics: false });
      metrics.watchServing(engine);
      await engine.ready;
      await engine.reload(await workspace.deployNewVersion("9.9.9"));
      expect(await labelValues(metrics.registry, "model_info", "version")).toEqual(
        new Set(["9.9.9"]),
      );
    } finally {
      await engine.close();
    }
  });

  it("counts a crashed inference worker and the requests it failed", async () => {
    const engine = new ServingEngine({ modelDir: workspace.modelDir, workers: 1 });
    try {
      const metrics = new ServiceMetrics({ processMetrics: false });
      metrics.watchServing(engine);
      await engine.ready;
      engine.crashWorkersOnNextBatchForTesting();
      await expect(engine.score(["boom"])).rejects.toMatchObject({
        code: "inference_worker_crashed",
      });
      expect(await sampleValue(metrics.registry, "inference_worker_crashes_total")).toBe(1);
      expect(
        await sampleValue(metrics.registry, "inference_requests_failed_total", { reason: "other" }),
      ).toBe(1);
    } finally {
      await engine.close();
    }
  });
});

/** A real prediction log over SQLite in a temp dir, closed and removed after `use`. */
async function withPredictionLog(
  use: (log: PredictionLog) => Promise<void>,
  options: { maxBytes?: number; sampleRate?: number } = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "metrics-predictions-"));
  const store = new SqlitePredictionStore(join(dir, "predictions.sqlite"), {
    maxBytes: options.maxBytes ?? null,
    maxBatchBytes: 200 * 600,
  });
  await store.migrate();
  const log = new PredictionLog({
    store,
    logger: silentLogger,
    flushIntervalMs: 60_000,
    maxBufferedRecords: 50_000,
    sampleRate: options.sampleRate ?? 1,
  });
  try {
    await use(log);
  } finally {
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function recordPrediction(log: PredictionLog, text: string): void {
  log.record(
    predictionRecordOf(
      {
        requestId: "r1",
        issuer: "test-client",
        subject: "test-client",
        modelName: "m",
        modelVersion: "1",
        label: "NEUTRAL",
        score: 0.5,
        latencyMs: 1,
        text,
      },
      { logText: false },
    ),
  );
}

describe("ServiceMetrics watching the prediction log", () => {
  it("reports written and buffered records at scrape time", async () => {
    await withPredictionLog(async (log) => {
      const metrics = new ServiceMetrics({ processMetrics: false });
      metrics.watchPredictionLog(log);
      for (const text of ["good", "bad", "fine"]) recordPrediction(log, text);
      expect(await sampleValue(metrics.registry, "prediction_log_buffered_records")).toBe(3);
      await log.flush();
      expect(await sampleValue(metrics.registry, "prediction_log_records_written_total")).toBe(3);
      expect(await sampleValue(metrics.registry, "prediction_log_buffered_records")).toBe(0);
    });
  });
});

describe("ServiceMetrics watching a capped, sampled prediction log", () => {
  it("reports pruned and sampled-out records, drops by reason, bytes on disk and the oldest record's age", async () => {
    await withPredictionLog(
      async (log) => {
        const metrics = new ServiceMetrics({ processMetrics: false });
        metrics.watchPredictionLog(log);
        for (let i = 0; i < 12_000; i++) {
          log.record(
            predictionRecordOf(
              {
                requestId: `request-${i}`,
                issuer: "test-client",
                subject: "test-client",
                modelName: "m",
                modelVersion: "1",
                label: "NEUTRAL",
                score: 0.5,
                latencyMs: 1,
                text: `text number ${i} of a metrics test, long enough to fill some pages`,
              },
              { logText: true },
            ),
          );
        }
        await log.flush();
        const stats = log.stats();
        const value = (name: string, labels?: Record<string, string>) =>
          sampleValue(metrics.registry, name, labels);
        expect(stats.sampledOut).toBeGreaterThan(0);
        expect(await value("prediction_log_records_sampled_out_total")).toBe(stats.sampledOut);
        expect(await value("prediction_log_records_written_total")).toBe(12_000 - stats.sampledOut);
        expect(await value("prediction_log_records_pruned_total", { reason: "cap" })).toBe(
          stats.pruned.cap,
        );
        expect(stats.pruned.cap).toBeGreaterThan(0);
        expect(await value("prediction_log_records_pruned_total", { reason: "retention" })).toBe(0);
        expect(await value("prediction_log_records_dropped_total", { reason: "buffer_full" })).toBe(
          0,
        );
        const bytes = await value("prediction_log_bytes");
        expect(bytes).toBeGreaterThan(0);
        expect(bytes).toBeLessThanOrEqual(1_500_000);
        const age = await value("prediction_log_oldest_record_age_seconds");
        expect(age).toBeGreaterThanOrEqual(0);
        expect(age).toBeLessThan(120);
        expect(await value("prediction_log_prune_step_max_seconds")).toBeGreaterThan(0);
      },
      { maxBytes: 1_500_000, sampleRate: 0.5 },
    );
  });
});

describe("the exposition", () => {
  it("passes promtool check metrics with every metric family populated", async () => {
    const engine = new ServingEngine({ modelDir: workspace.modelDir, workers: 1 });
    try {
      await withPredictionLog(async (log) => {
        const metrics = new ServiceMetrics({ allowedIssuers: ["billing"] });
        metrics.watchServing(engine);
        metrics.watchPredictionLog(log);
        recordPrediction(log, "hello");
        await engine.ready;
        metrics.recordHttpRequest({
          route: "/v1/sentiment",
          method: "POST",
          status: 200,
          durationSeconds: 0.01,
        });
        metrics.recordAsapRefusal("token_expired");
        metrics.recordAsapAuthenticated("billing");
        metrics.recordKeyLookup("found");
        metrics.recordReplayStoreError();
        metrics.observeBatch({ size: 4, computeMs: 1.5 });
        const text = await metrics.registry.metrics();
        expect(text).toContain("model_info{");
        expect(text).toContain("prediction_log_buffered_records 1");
        expect(promtoolCheck(text)).toEqual({ status: 0, output: "" });
      });
    } finally {
      await engine.close();
    }
  });

  it("fails promtool when the text is broken (the check can fail)", () => {
    expect(promtoolCheck('# TYPE x counter\nx{a="1" 1\n').status).not.toBe(0);
  });
});

describe("samplesOf", () => {
  it("throws for a metric the registry does not have", async () => {
    const metrics = new ServiceMetrics({ processMetrics: false });
    await expect(samplesOf(metrics.registry, "no_such_metric")).rejects.toThrow("no metric");
  });
});
