import cluster from "node:cluster";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { createKeyRepository } from "../asap/keys/create-key-repository.js";
import { RedisReplayGuard } from "../asap/replay/redis-replay-guard.js";
import { type AppConfig, DEFAULT_KEY_REPOSITORY } from "../config/schema.js";
import { createApp } from "../http/app.js";
import { ObservedKeyRepository } from "../metrics/observed-key-repository.js";
import { ObservedReplayGuard } from "../metrics/observed-replay-guard.js";
import { ServiceMetrics } from "../metrics/service-metrics.js";
import type { LabelRule } from "../model/labels.js";
import {
  assertPredictionStoreWritable,
  openPredictionSink,
  PredictionLog,
  PredictionStoreError,
  predictionRecordOf,
  writeBatchBytes,
} from "../predictions/index.js";
import type { ServedModel } from "../serving/inference-worker-pool.js";
import { ServingEngine } from "../serving/serving-engine.js";
import { SERVICE_VERSION } from "../version.js";
import {
  createRateLimiter,
  createReplayGuard,
  createTokenVerifier,
  inferenceWorkerCount,
  issuerPolicy,
  startServiceMetricsServer,
  thresholdOverride,
} from "./dependencies.js";
import { ensureDevKeyPair } from "./dev-keys.js";
import { type ListeningServer, listenHttps } from "./https-server.js";
import { productionProblems } from "./production-guard.js";
import { StartupError } from "./startup-error.js";
import { loadTlsCredentials, type TlsCredentials } from "./tls.js";

export { StartupError } from "./startup-error.js";

export interface RunningService {
  readonly port: number;
  /** Where this process serves /metrics (none in a cluster worker: the primary serves them). */
  readonly metricsPort: number | undefined;
  /** Resolves once the model is loaded and warmed up in every inference worker. */
  readonly modelReady: Promise<ServedModel>;
  /** Loads the model in `dir` beside the current one and switches to it without dropping requests. */
  reloadModel(dir: string): Promise<ServedModel>;
  /** Graceful stop: readiness off, stop accepting, drain in-flight requests. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly cwd?: string;
  readonly production?: boolean;
}

/**
 * Checks and creates what the service needs on disk (production guard, dev key pair, TLS
 * certificate). Runs once in the cluster primary before workers start, so they never race on it.
 */
export async function prepareService(
  config: AppConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<TlsCredentials> {
  const cwd = options.cwd ?? process.cwd();
  if (
    config.server.workers > 1 &&
    config.asap.replayProtection &&
    config.asap.replayStore === "memory"
  ) {
    throw new StartupError(
      "server.workers (WORKERS) > 1 needs a shared replay store: set ASAP_REPLAY_STORE=redis://... (an in-memory store per process would let a token be replayed on another process)",
    );
  }
  if (config.predictions.enabled) checkPredictionLogLocation(config, cwd);
  if (options.production) {
    const problems = productionProblems(config, cwd);
    if (problems.length > 0) {
      throw new StartupError(
        `NODE_ENV=production refuses development defaults:\n  - ${problems.join("\n  - ")}`,
      );
    }
  }

  if (!options.production && config.asap.publicKeyRepository === DEFAULT_KEY_REPOSITORY) {
    const created = await ensureDevKeyPair({
      publicDir: resolve(cwd, DEFAULT_KEY_REPOSITORY),
      privateDir: resolve(cwd, config.asap.devKeyPrivateDir),
      issuer: config.asap.devIssuer,
    });
    if (created) {
      logger.warn(
        { kid: created.kid, private_key: created.privateKeyPath },
        "created a development ASAP key pair (the key repository was empty); mint tokens with: npm run -s mint -- --iss %s",
        config.asap.devIssuer,
      );
    }
  }

  const tls = await loadServiceTls(config, cwd);
  if (tls.selfSigned) {
    logger.warn(
      { fingerprint_sha256: tls.fingerprint256, created: tls.created },
      "serving with the development self-signed certificate for localhost",
    );
  }
  return tls;
}

/** One line naming the folder and the label rule it serves with (a warning for a legacy folder). */
function logLabelRule(logger: Logger, model: ServedModel, requested: LabelRule): void {
  const details = {
    dir: model.directory,
    label_rule: model.labelRule,
    ...(model.labelRule === "thresholds" ? { thresholds: model.thresholds } : {}),
  };
  if (model.metadata.classes === undefined) {
    logger.warn(
      details,
      requested === "thresholds"
        ? "binary (legacy) model folder: labels from the score thresholds"
        : "binary (legacy) model folder has no classes: labels from the score thresholds, not LABEL_RULE=model",
    );
  } else {
    logger.info(details, `3-class model: labels from the ${model.labelRule} rule`);
  }
}

function checkPredictionLogLocation(config: AppConfig, cwd: string): void {
  try {
    assertPredictionStoreWritable(config.predictions.databaseUrl ?? undefined, {
      sqlitePath: resolve(cwd, config.predictions.sqlitePath),
    });
  } catch (error) {
    if (!(error instanceof PredictionStoreError)) throw error;
    throw new StartupError(
      `prediction log (DATABASE_URL / predictions.sqlitePath): ${error.message}; set a writable location, or PREDICTION_LOG=false`,
    );
  }
}

function loadServiceTls(config: AppConfig, cwd: string): Promise<TlsCredentials> {
  return loadTlsCredentials({
    certFile: config.tls.certFile && resolve(cwd, config.tls.certFile),
    keyFile: config.tls.keyFile && resolve(cwd, config.tls.keyFile),
    selfSignedDir: resolve(cwd, config.tls.selfSignedDir),
    clientCaFile: config.tls.clientCaFile && resolve(cwd, config.tls.clientCaFile),
  });
}

/** Wires config -> dependencies -> app -> HTTPS server. */
export async function startService(
  config: AppConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningService> {
  const cwd = options.cwd ?? process.cwd();
  // A cluster worker only reads the certificate: its primary has already checked and prepared.
  const tls = cluster.isWorker
    ? await loadServiceTls(config, cwd)
    : await prepareService(config, logger, options);

  const metrics = new ServiceMetrics({ allowedIssuers: config.asap.validIssuers });
  const keyRepository = new ObservedKeyRepository(
    createKeyRepository(config.asap.publicKeyRepository, { baseDir: cwd }),
    (result) => metrics.recordKeyLookup(result),
  );
  const replayStore = createReplayGuard(config, logger);
  const replayGuard =
    replayStore && new ObservedReplayGuard(replayStore, () => metrics.recordReplayStoreError());
  const verifyToken = createTokenVerifier(config, keyRepository, replayGuard, (result) =>
    metrics.recordTokenCacheLookup(result),
  );

  const engine = new ServingEngine({
    modelDir: resolve(cwd, config.model.dir),
    workers: inferenceWorkerCount(config),
    ...thresholdOverride(config),
    labelRule: config.model.labelRule,
    maxBatchSize: config.inference.batchMaxSize,
    maxDelayMs: config.inference.batchMaxDelayMs,
    maxQueuedTexts: Math.max(config.inference.maxQueuedTexts, config.model.maxBatchTexts),
    deadlineMs: config.inference.deadlineMs,
    onBatch: (batch) => metrics.observeBatch(batch),
  });
  metrics.watchServing(engine);
  const modelReady = engine.ready.then((model) => {
    logger.info(
      {
        model: model.metadata.name,
        version: model.metadata.version,
        backend: model.backend,
        dir: model.directory,
      },
      "model loaded and warmed up",
    );
    logLabelRule(logger, model, config.model.labelRule);
    return model;
  });
  modelReady.catch((error: unknown) => logger.error({ err: error }, "the model failed to load"));

  const rateLimiter = createRateLimiter(config, logger);
  const predictionLog = config.predictions.enabled
    ? new PredictionLog({
        store: await openPredictionSink(config.predictions.databaseUrl ?? undefined, {
          sqlitePath: resolve(cwd, config.predictions.sqlitePath),
          sqlite: {
            maxBytes: config.predictions.maxBytes,
            retentionMs: config.predictions.retention,
            maxBatchBytes: writeBatchBytes({
              maxTextLength: config.model.maxTextLength,
              logText: config.predictions.logText,
            }),
          },
          postgres: { retentionMs: config.predictions.retention },
        }),
        logger,
        maxBufferedRecords: config.predictions.maxBufferedRecords,
        sampleRate: config.predictions.sampleRate,
        retentionMs: config.predictions.retention,
      })
    : null;
  const logText = config.predictions.logText;
  if (predictionLog) metrics.watchPredictionLog(predictionLog);
  let accepting = true;
  const app = createApp({
    logger,
    verifyToken,
    readiness: () => {
      const modelReady = engine.isReady();
      return {
        ready: accepting && modelReady,
        checks: {
          server: accepting ? "accepting" : "shutting_down",
          model: modelReady ? "ready" : "loading",
        },
      };
    },
    scorer: engine,
    metrics,
    server: { name: "sentiment-api", version: SERVICE_VERSION },
    onScored: predictionLog
      ? (event) =>
          predictionLog.record(
            predictionRecordOf(
              {
                requestId: event.requestId,
                issuer: event.issuer,
                subject: event.subject,
                modelName: event.model.metadata.name,
                modelVersion: event.model.metadata.version,
                label: event.prediction.label,
                score: event.prediction.score,
                latencyMs: event.latencyMs,
                text: event.text,
              },
              { logText },
            ),
          )
      : undefined,
    rateLimit: rateLimiter ? { limiter: rateLimiter, policyFor: issuerPolicy(config) } : undefined,
    limits: {
      bodyLimitBytes: config.server.bodyLimitBytes,
      maxTextLength: config.model.maxTextLength,
      maxBatchTexts: config.model.maxBatchTexts,
    },
  });

  const metricsServer = await startServiceMetricsServer(config, metrics);
  const listening: ListeningServer = await listenHttps(
    app,
    tls,
    config.server.host,
    config.server.port,
    logger,
  );
  logger.info(
    { host: config.server.host, port: listening.port, audience: config.asap.audience },
    "sentiment-api listening on https://%s:%d",
    config.server.host,
    listening.port,
  );

  return {
    port: listening.port,
    metricsPort: metricsServer?.port,
    modelReady,
    reloadModel: (dir) =>
      engine.reload(resolve(cwd, dir)).then((model) => {
        logLabelRule(logger, model, config.model.labelRule);
        return model;
      }),
    async stop() {
      accepting = false;
      await listening.close(config.server.shutdownTimeoutMs);
      await engine.close(config.server.shutdownTimeoutMs);
      await rateLimiter?.close();
      await predictionLog?.close({ timeoutMs: config.server.shutdownTimeoutMs });
      if (replayStore instanceof RedisReplayGuard) await replayStore.close();
      await metricsServer?.close();
    },
  };
}
