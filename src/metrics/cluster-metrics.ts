// With WORKERS > 1 every HTTP worker process has its own counters. Scraping a worker directly
// would show one process's numbers (and a different one each scrape), so the primary serves the
// metrics port and asks every worker for its registry over the cluster IPC channel; prom-client
// sums the workers' series (model_info is declared "max", process metrics use their own rules).
import { AggregatorRegistry, type Registry } from "prom-client";
import type { MetricsSource } from "./metrics-server.js";

/** In a cluster worker: answers the primary's metric requests from `registry`. */
export function shareWorkerMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // The constructor installs the worker's IPC listener (once per process, whatever the calls).
  new AggregatorRegistry();
}

/** In the cluster primary: the metrics of every live worker, aggregated at each scrape. */
export function clusterMetricsSource(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return {
    contentType: aggregator.contentType,
    metrics: () => aggregator.clusterMetrics(),
  };
}
