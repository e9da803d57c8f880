// Run with tsx: a cluster primary with two HTTP-less workers that each record one refusal; the
// primary prints what its metrics port serves, then stops the workers.
import cluster from "node:cluster";
import { clusterMetricsSource, shareWorkerMetrics } from "../../src/metrics/cluster-metrics.js";
import { startMetricsServer } from "../../src/metrics/metrics-server.js";
import { ServiceMetrics } from "../../src/metrics/service-metrics.js";

const WORKERS = 2;

if (cluster.isPrimary) {
  const source = clusterMetricsSource();
  let ready = 0;
  for (let i = 0; i < WORKERS; i++) {
    cluster.fork().on("message", async (message) => {
      if (message !== "ready" || ++ready < WORKERS) return;
      const server = await startMetricsServer({ port: 0, registry: source });
      const text = await (await fetch(server.url)).text();
      process.stdout.write(text);
      await server.close();
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    });
  }
} else {
  const metrics = new ServiceMetrics();
  metrics.recordAsapRefusal("token_expired");
  shareWorkerMetrics(metrics.registry);
  process.send?.("ready");
}
