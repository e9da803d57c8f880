import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { flushLogs } from "./logger.js";

export interface ClusterOptions {
  /** HTTP worker processes to keep running. */
  readonly workers: number;
  readonly logger: Logger;
  /** How long workers get to drain after SIGTERM before they are killed. */
  readonly shutdownTimeoutMs: number;
}

/** A worker that dies sooner than this after starting counts toward the restart back-off. */
const STABLE_AFTER_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Cluster primary: forks the HTTP workers (they share the listening socket), replaces any that
 * exit unexpectedly (backing off when they crash at start), forwards SIGHUP, and on SIGTERM/SIGINT
 * lets every worker drain before exiting 0.
 */
export function superviseWorkers(options: ClusterOptions): void {
  const { logger } = options;
  const startedAt = new Map<Worker, number>();
  let stopping = false;
  let restartDelayMs = 0;

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
  };

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) {
        logger.info("all workers stopped");
        flushLogs(logger);
        process.exit(0);
      }
      return;
    }
    restartDelayMs =
      lived >= STABLE_AFTER_MS
        ? 0
        : Math.min(MAX_RESTART_DELAY_MS, Math.max(500, restartDelayMs * 2));
    logger.error(
      { pid: worker.process.pid, code, signal, restart_in_ms: restartDelayMs },
      "worker process exited unexpectedly; replacing it",
    );
    // Not unref'd: the pending replacement keeps the primary alive even with no worker left.
    setTimeout(fork, restartDelayMs);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: startedAt.size }, "stopping: draining workers");
    if (startedAt.size === 0) process.exit(0);
    for (const worker of startedAt.keys()) worker.process.kill("SIGTERM");
    setTimeout(() => {
      logger.warn("workers did not stop in time; killing them");
      for (const worker of startedAt.keys()) worker.process.kill("SIGKILL");
      process.exit(1);
    }, options.shutdownTimeoutMs + 5_000).unref();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => {
    for (const worker of startedAt.keys()) worker.process.kill("SIGHUP");
  });

  for (let i = 0; i < options.workers; i++) fork();
  logger.info({ workers: options.workers }, "cluster primary started its HTTP workers");
}
