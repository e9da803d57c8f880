import { Agent, request } from "node:http";
import { Gauge, Registry } from "prom-client";
import { afterEach, expect, it } from "vitest";
import { type RunningMetricsServer, startMetricsServer } from "../../src/metrics/metrics-server.js";
import { ServiceMetrics } from "../../src/metrics/service-metrics.js";
import { promtoolCheck } from "./exposition.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpRequest(url: string, method = "GET", agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const running: RunningMetricsServer[] = [];
async function start(registry: Registry | ServiceMetrics["registry"]) {
  const server = await startMetricsServer({ host: "127.0.0.1", port: 0, registry });
  running.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

it("serves the registry's exposition at GET /metrics, valid for promtool", async () => {
  const metrics = new ServiceMetrics();
  metrics.recordAsapRefusal("token_expired");
  const server = await start(metrics.registry);
  const reply = await httpRequest(server.url);
  expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
  expect(reply.status).toBe(200);
  expect(reply.headers["content-type"]).toBe(metrics.registry.contentType);
  expect(reply.body).toContain('asap_refusals_total{reason="token_expired"} 1');
  expect(promtoolCheck(reply.body)).toEqual({ status: 0, output: "" });
});

it("answers HEAD /metrics with headers and no body", async () => {
  const server = await start(new ServiceMetrics({ processMetrics: false }).registry);
  const reply = await httpRequest(server.url, "HEAD");
  expect(reply.status).toBe(200);
  expect(reply.body).toBe("");
});

it.each(["/", "/metrics/extra", "/metricsx", "/v1/sentiment"])(
  "answers 404 for %s",
  async (path) => {
    const server = await start(new ServiceMetrics({ processMetrics: false }).registry);
    const reply = await httpRequest(`http://127.0.0.1:${server.port}${path}`);
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain("# HELP");
  },
);

it("answers 405 to a POST on /metrics", async () => {
  const server = await start(new ServiceMetrics({ processMetrics: false }).registry);
  const reply = await httpRequest(server.url, "POST");
  expect(reply.status).toBe(405);
  expect(reply.headers.allow).toBe("GET, HEAD");
});

it("answers 500 without details when collecting fails", async () => {
  const registry = new Registry();
  new Gauge({
    name: "broken_gauge",
    help: "fails to collect",
    registers: [registry],
    collect() {
      throw new Error("secret internal detail");
    },
  });
  const server = await start(registry);
  const reply = await httpRequest(server.url);
  expect(reply.status).toBe(500);
  expect(reply.body).not.toContain("secret internal detail");
});

it("refuses to start on a port already in use, with a stable code", async () => {
  const first = await start(new Registry());
  await expect(
    startMetricsServer({ host: "127.0.0.1", port: first.port, registry: new Registry() }),
  ).rejects.toMatchObject({ code: "metrics_listen_failed" });
});

it("closes while a scraper keeps its connection alive, and stops answering", async () => {
  const server = await startMetricsServer({ port: 0, registry: new Registry() });
  const agent = new Agent({ keepAlive: true });
  try {
    expect((await httpRequest(server.url, "GET", agent)).status).toBe(200);
    await server.close();
    await expect(httpRequest(server.url)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  } finally {
    agent.destroy();
  }
});
