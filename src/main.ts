import cluster from "node:cluster";
import type { Logger } from "pino";
import { ConfigError, loadConfig } from "./config/load.js";
import type { AppConfig } from "./config/schema.js";
import { clusterMetricsSource } from "./metrics/cluster-metrics.js";
import { startMetricsServer } from "./metrics/metrics-server.js";
import { superviseWorkers } from "./server/cluster.js";
import { createLogger, flushLogs } from "./server/logger.js";
import { prepareService, type RunningService, StartupError, startService } from "./server/start.js";

/** Process entry point: config, logger, then one service or a supervised cluster of them. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const production = process.env.NODE_ENV === "production";
  const logger = createLogger(config.log, production);
  const options = { production };
  try {
    if (config.server.workers > 1 && cluster.isPrimary) {
      await prepareService(config, logger, options);
      if (config.metrics.enabled) {
        // The primary serves the sum of its workers' metrics.
        await startMetricsServer({
          host: config.metrics.host,
          port: config.metrics.port,
          registry: clusterMetricsSource(),
        });
      }
      superviseWorkers({
        workers: config.server.workers,
        logger,
        shutdownTimeoutMs: config.server.shutdownTimeoutMs,
      });
      return;
    }
    // Handlers go in before the start, so that a SIGTERM arriving while it runs (or just after the
    // "listening" line) drains the service instead of killing the process by default action.
    const starting = startService(config, logger, options);
    handleSignals(starting, logger);
    await starting;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.fatal({ code: (error as { code?: string }).code }, message);
    flushLogs(logger);
    process.stderr.write(`sentiment-api: ${message}\n`);
    process.exit(error instanceof StartupError ? 1 : 2);
  }
}

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sentiment-api: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

function handleSignals(starting: Promise<RunningService>, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: draining in-flight requests");
    starting
      .then((service) => service.stop())
      .then(
        () => {
          logger.info("stopped");
          flushLogs(logger);
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, "error while stopping");
          flushLogs(logger);
          process.exit(1);
        },
      );
  };
  // Deploying a model = a new folder under models/ + config pointing at it + SIGHUP.
  process.on("SIGHUP", () => {
    let dir: string;
    try {
      dir = loadConfig().model.dir;
    } catch (error) {
      logger.error({ err: error }, "SIGHUP: configuration invalid, keeping the current model");
      return;
    }
    logger.info({ dir }, "SIGHUP: reloading the model");
    starting
      .then((service) => service.reloadModel(dir))
      .then(
        (model) =>
          logger.info(
            { model: model.metadata.name, version: model.metadata.version },
            "model reloaded",
          ),
        (error: unknown) =>
          logger.error({ err: error }, "model reload failed; still serving the previous model"),
      );
  });
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

await main();
