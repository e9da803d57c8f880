// The service's HTTP app (createApp, as src/server/start.ts builds it) on real parts: HTTPS on
// 127.0.0.1, ASAP keys made in a temp dir, the file key repository, the memory replay guard, a
// ServingEngine with the shipped model. Unlike test/support/service.ts it hands the test the
// metrics registry, the engine and a readiness switch.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import type { ReplayGuard } from "../../src/asap/replay/replay-guard.js";
import { verifyAsapToken } from "../../src/asap/verify.js";
import { createApp } from "../../src/http/app.js";
import type { ScoredTextListener } from "../../src/http/routes/sentiment.js";
import { ObservedKeyRepository } from "../../src/metrics/observed-key-repository.js";
import { ObservedReplayGuard } from "../../src/metrics/observed-replay-guard.js";
import { ServiceMetrics } from "../../src/metrics/service-metrics.js";
import { MemoryRateLimiter } from "../../src/rate-limit/rate-limiter.js";
import { type ListeningServer, listenHttps } from "../../src/server/https-server.js";
import { loadTlsCredentials } from "../../src/server/tls.js";
import { ServingEngine } from "../../src/serving/serving-engine.js";
import { type HttpsRequest, type HttpsResponse, httpsRequest } from "../support/https-client.js";
import { issuerKeys } from "../support/issuer-keys.js";
import { SHIPPED_MODEL_DIR } from "../support/service.js";

export const AUDIENCE = "sentiment-api";
export const LIMITS = { maxTextLength: 5000, maxBatchTexts: 512, bodyLimitBytes: 1024 * 1024 };
/** The one issuer with a tight rate limit (2 requests, no refill to speak of). */
export const RATE_LIMITED_ISSUER = "limited-client";

export interface InstrumentedServiceOptions {
  /** ASAP_VALID_ISSUERS; empty accepts every issuer with a key. */
  readonly validIssuers?: readonly string[];
  /** Replaces the memory replay guard (e.g. a Redis guard that cannot connect). */
  readonly replayGuard?: ReplayGuard;
  readonly onScored?: ScoredTextListener;
}

export interface InstrumentedService {
  readonly url: string;
  readonly metrics: ServiceMetrics;
  readonly engine: ServingEngine;
  /** Flips the readiness the app reports (as shutdown does). */
  setAccepting(accepting: boolean): void;
  /** A fresh token for `issuer` (its key pair is made on first use). */
  token(issuer?: string, overrides?: { audience?: string }): Promise<string>;
  request(path: string, options?: Omit<HttpsRequest, "ca">): Promise<HttpsResponse>;
  stop(): Promise<void>;
}

export async function startInstrumentedService(
  options: InstrumentedServiceOptions = {},
): Promise<InstrumentedService> {
  const dir = mkdtempSync(join(tmpdir(), "sentiment-metrics-"));
  const keys = issuerKeys(dir);

  const validIssuers = options.validIssuers ?? [];
  const metrics = new ServiceMetrics({ allowedIssuers: validIssuers });
  const verifyOptions = {
    keyRepository: new ObservedKeyRepository(
      new FileKeyRepository(join(dir, "keys/public")),
      (result) => metrics.recordKeyLookup(result),
    ),
    replayGuard: new ObservedReplayGuard(options.replayGuard ?? new MemoryReplayGuard(), () =>
      metrics.recordReplayStoreError(),
    ),
    audience: AUDIENCE,
    ...(validIssuers.length > 0 ? { validIssuers } : {}),
  };
  const verifyToken = (token: string) => verifyAsapToken(token, verifyOptions);

  const engine = new ServingEngine({
    modelDir: SHIPPED_MODEL_DIR,
    workers: 1,
    onBatch: (batch) => metrics.observeBatch(batch),
  });
  metrics.watchServing(engine);
  const rateLimitOptions = {
    limiter: new MemoryRateLimiter(),
    policyFor: (issuer: string) =>
      issuer === RATE_LIMITED_ISSUER
        ? { ratePerSecond: 0.001, burst: 2 }
        : { ratePerSecond: 1_000_000, burst: 1_000_000 },
  };
  let accepting = true;
  const isReady = () => accepting && engine.isReady();

  // The app exactly as src/server/start.ts builds it, with dependencies this test controls.
  const app = createApp({
    logger: pino({ level: "silent" }),
    verifyToken,
    readiness: () => ({ ready: isReady(), checks: {} }),
    scorer: engine,
    limits: LIMITS,
    rateLimit: rateLimitOptions,
    metrics,
    server: { name: "sentiment-api", version: "0.1.0" },
    ...(options.onScored ? { onScored: options.onScored } : {}),
  });

  const tls = await loadTlsCredentials({
    certFile: null,
    keyFile: null,
    selfSignedDir: join(dir, "tls"),
  });
  let listening: ListeningServer;
  try {
    await engine.ready;
    listening = await listenHttps(app, tls, "127.0.0.1", 0);
  } catch (error) {
    await engine.close();
    throw error;
  }
  const url = `https://localhost:${listening.port}`;
  return {
    url,
    metrics,
    engine,
    setAccepting(value) {
      accepting = value;
    },
    token: (issuer = "test-client", overrides = {}) =>
      keys.token(issuer, { audience: overrides.audience ?? AUDIENCE }),
    request: (path, requestOptions = {}) =>
      httpsRequest(`${url}${path}`, { ...requestOptions, ca: tls.cert }),
    async stop() {
      await listening.close(1000);
      await engine.close(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
