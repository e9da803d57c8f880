import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startMetricsServer } from "../../src/metrics/metrics-server.js";
import { labelValues, promtoolCheck, sampleValue } from "./exposition.js";
import { type InstrumentedService, startInstrumentedService } from "./instrumented-service.js";

// The service loads the shipped model in an inference worker; slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const JSON_HEADERS = { "Content-Type": "application/json" };

describe("with ASAP_VALID_ISSUERS set", () => {
  let svc: InstrumentedService;
  beforeAll(async () => {
    svc = await startInstrumentedService({ validIssuers: ["test-client"] });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  const authorized = async (issuer = "test-client") => ({
    ...JSON_HEADERS,
    Authorization: `Bearer ${await svc.token(issuer)}`,
  });

  it("counts a scored request under its route pattern, method and status", async () => {
    const labels = { route: "/v1/sentiment", method: "POST", status: "200" };
    const before = await sampleValue(svc.metrics.registry, "http_requests_total", labels);
    const res = await svc.request("/v1/sentiment", {
      method: "POST",
      headers: await authorized(),
      body: JSON.stringify({ text: "what a lovely morning" }),
    });
    expect(res.status).toBe(200);
    expect(await sampleValue(svc.metrics.registry, "http_requests_total", labels)).toBe(before + 1);
    const count = await sampleValue(
      svc.metrics.registry,
      "http_request_duration_seconds",
      labels,
      "http_request_duration_seconds_count",
    );
    expect(count).toBe(before + 1);
  });

  it("observes the batch size and inference time of the texts it scored", async () => {
    const { registry } = svc.metrics;
    const sizeSum = () =>
      sampleValue(registry, "inference_batch_size", {}, "inference_batch_size_sum");
    const durationCount = () =>
      sampleValue(registry, "inference_duration_seconds", {}, "inference_duration_seconds_count");
    const [sizeBefore, durationBefore] = [await sizeSum(), await durationCount()];
    const res = await svc.request("/v1/sentiment/batch", {
      method: "POST",
      headers: await authorized(),
      body: JSON.stringify({ texts: ["one", "two", "three"] }),
    });
    expect(res.status).toBe(200);
    expect(await sizeSum()).toBe(sizeBefore + 3);
    expect(await durationCount()).toBeGreaterThan(durationBefore);
  });

  it("labels a parameterised route by its pattern, not the path", async () => {
    const res = await svc.request("/v1/models/no-such-model", { headers: await authorized() });
    expect(res.status).toBe(404);
    const routes = await labelValues(svc.metrics.registry, "http_requests_total", "route");
    expect(routes).toContain("/v1/models/:name");
    expect([...routes].some((route) => route.includes("no-such-model"))).toBe(false);
  });

  it("counts refusals by ASAP code", async () => {
    const { registry } = svc.metrics;
    const missing = await sampleValue(registry, "asap_refusals_total", { reason: "missing_token" });
    const audience = await sampleValue(registry, "asap_refusals_total", {
      reason: "invalid_audience",
    });
    await svc.request("/v1/sentiment", { method: "POST", headers: JSON_HEADERS, body: "{}" });
    const wrongAudience = await svc.token("test-client", { audience: "another-service" });
    const res = await svc.request("/v1/whoami", {
      headers: { Authorization: `Bearer ${wrongAudience}` },
    });
    expect(res.status).toBe(401);
    expect(await sampleValue(registry, "asap_refusals_total", { reason: "missing_token" })).toBe(
      missing + 1,
    );
    expect(await sampleValue(registry, "asap_refusals_total", { reason: "invalid_audience" })).toBe(
      audience + 1,
    );
  });

  it("counts key lookups of the verifier", async () => {
    const { registry } = svc.metrics;
    const before = await sampleValue(registry, "asap_key_lookups_total", { result: "found" });
    await svc.request("/v1/whoami", { headers: await authorized() });
    expect(await sampleValue(registry, "asap_key_lookups_total", { result: "found" })).toBe(
      before + 1,
    );
  });

  it("keeps route labels bounded under many distinct paths", async () => {
    for (let i = 0; i < 40; i++) {
      const id = randomUUID();
      await svc.request(`/${id}`);
      await svc.request(`/v1/${id}`, { headers: await authorized() });
      await svc.request(`/v2/${id}`);
      await svc.request(`/v2/models/${id}/infer`, { method: "POST", body: "{}" });
    }
    const routes = await labelValues(svc.metrics.registry, "http_requests_total", "route");
    expect(routes.size).toBeLessThanOrEqual(12);
    for (const route of routes) expect(route === "unmatched" || route.startsWith("/")).toBe(true);
    expect([...routes].some((route) => /[0-9a-f]{8}-/.test(route))).toBe(false);
  });

  it("labels only the configured issuers, whatever issuers call", async () => {
    for (let i = 0; i < 10; i++) {
      const res = await svc.request("/v1/whoami", { headers: await authorized(`caller-${i}`) });
      expect(res.status).toBe(403);
    }
    await svc.request("/v1/whoami", { headers: await authorized() });
    const { registry } = svc.metrics;
    expect(await labelValues(registry, "asap_authenticated_requests_total", "issuer")).toEqual(
      new Set(["test-client"]),
    );
    expect(
      await sampleValue(registry, "asap_refusals_total", { reason: "issuer_not_allowed" }),
    ).toBe(10);
  });

  it("serves the traffic's metrics on the metrics port in a format promtool accepts", async () => {
    const server = await startMetricsServer({ port: 0, registry: svc.metrics.registry });
    try {
      const response = await fetch(server.url);
      const text = await response.text();
      expect(text).toContain("http_requests_total{");
      expect(text).toContain("inference_queue_depth 0");
      expect(promtoolCheck(text)).toEqual({ status: 0, output: "" });
    } finally {
      await server.close();
    }
  });
});

describe("without ASAP_VALID_ISSUERS", () => {
  let svc: InstrumentedService;
  beforeAll(async () => {
    svc = await startInstrumentedService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it("labels every verified issuer as other", async () => {
    for (let i = 0; i < 10; i++) {
      const token = await svc.token(`issuer-${i}`);
      const res = await svc.request("/v1/whoami", {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
    }
    const { registry } = svc.metrics;
    expect(await labelValues(registry, "asap_authenticated_requests_total", "issuer")).toEqual(
      new Set(["other"]),
    );
    expect(
      await sampleValue(registry, "asap_authenticated_requests_total", { issuer: "other" }),
    ).toBe(10);
  });
});
