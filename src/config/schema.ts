import { z } from "zod";
import { DEFAULT_MAX_REPLAY_ENTRIES } from "../asap/replay/memory-replay-guard.js";
import { DEFAULT_TOKEN_CACHE_MAX_ENTRIES } from "../asap/verified-token-cache.js";
import { LABEL_RULES } from "../model/labels.js";
import { minimumCapBytes, parseByteSize, parseRetention } from "../predictions/log-limits.js";

const BOOLEAN_WORDS = new Map([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
]);

/** Booleans from JSON or from environment strings ("true"/"false"/"1"/"0"). */
const flag = z.preprocess(
  (value) =>
    typeof value === "string" && BOOLEAN_WORDS.has(value) ? BOOLEAN_WORDS.get(value) : value,
  z.boolean({ error: "must be true or false" }),
);

/** Whole numbers from JSON or from environment strings. */
const integer = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z
      .number({ error: "must be a whole number" })
      .int({ error: "must be a whole number" })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` }),
  );

/** Issuer lists from JSON arrays or comma-separated environment strings. */
const issuerList = z.union([
  z.array(z.string().min(1)),
  z.string().transform((value) =>
    value
      .split(",")
      .map((issuer) => issuer.trim())
      .filter((issuer) => issuer.length > 0),
  ),
]);

/** Probabilities from JSON or from environment strings (a negative one is refused by min). */
const probability = z.preprocess(
  (value) =>
    typeof value === "string" && /^\s*-?\d*\.?\d+\s*$/.test(value) ? Number(value) : value,
  z
    .number({ error: "must be a number" })
    .min(0, { error: "must be at least 0" })
    .max(1, { error: "must be at most 1" }),
);

/** Durations like `30d`, `12h`, `90m`; `0` or `off` is null (keep everything). Milliseconds after parsing. */
const retention = z.preprocess((value) => {
  const ms = parseRetention(value);
  return ms === undefined ? value : ms;
}, z
  .number({ error: "must be a duration such as 30d, 12h or 90m, or 0/off to keep everything" })
  .nullable());

/** Sizes like `10000000`, `500MB`, `1GiB`; `0` or `off` is null (no cap). Bytes after parsing. */
const byteSize = z.preprocess((value) => {
  const bytes = parseByteSize(value);
  return bytes === undefined ? value : bytes;
}, z
  .number({ error: "must be a size in bytes such as 1000000000, 500MB or 1GiB, or 0/off" })
  .nullable());

const path = z.string().min(1);
const optionalPath = path.nullable().default(null);

const configObject = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default("0.0.0.0"),
      port: integer(0, 65535).default(8443),
      /** HTTP processes (node:cluster); 1 serves from the primary process. */
      workers: integer(1, 64).default(1),
      bodyLimitBytes: integer(1024, 64 * 1024 * 1024).default(1024 * 1024),
      shutdownTimeoutMs: integer(0, 600_000).default(10_000),
    })
    .prefault({}),
  tls: z
    .strictObject({
      certFile: optionalPath,
      keyFile: optionalPath,
      /** Where the development self-signed certificate is created and reused. */
      selfSignedDir: path.default("keys/tls"),
      /** Mutual TLS: when set, clients must present a certificate issued by this CA. */
      clientCaFile: optionalPath,
    })
    .prefault({})
    .refine((tls) => (tls.certFile === null) === (tls.keyFile === null), {
      message: "certFile and keyFile must be set together",
    }),
  asap: z
    .strictObject({
      /** Directory paths and/or https:// base URLs, whitespace-separated, tried in order. */
      publicKeyRepository: z.string().trim().min(1).default("keys/public"),
      audience: z.string().min(1).default("sentiment-api"),
      /** Empty means every issuer whose key is in the repository is allowed. */
      validIssuers: issuerList.default([]),
      leewaySeconds: integer(0, 300).default(30),
      maxLifetimeSeconds: integer(1, 3600).default(3600),
      replayProtection: flag.default(true),
      /** Where seen jti values are kept: "memory" (one process) or a redis:// URL (shared). */
      replayStore: z
        .string()
        .regex(/^(memory|rediss?:\/\/.+)$/, { error: 'must be "memory" or a redis:// URL' })
        .default("memory"),
      /**
       * Most jtis the in-memory store holds: it needs rate x (token lifetime + leeway); when full
       * it refuses new tokens (503) rather than forget one.
       */
      replayMaxEntries: integer(1, 100_000_000).default(DEFAULT_MAX_REPLAY_ENTRIES),
      /**
       * With replay protection off: most verified tokens kept so a reused one skips the
       * signature check (0 turns the cache off). Unused while replay protection is on.
       */
      tokenCacheMaxEntries: integer(0, 10_000_000).default(DEFAULT_TOKEN_CACHE_MAX_ENTRIES),
      /** Issuer of the key pair created on first start when the default repository is empty. */
      devIssuer: z.string().min(1).default("dev"),
      devKeyPrivateDir: path.default("keys/private"),
    })
    .prefault({}),
  model: z
    .strictObject({
      /** The model directory served; deploy a new model by pointing this at a new folder (SIGHUP reloads). */
      dir: path.default("models/sentiment-boe"),
      /**
       * "model": a 3-class model's most probable class; "thresholds": the label from the score
       * and the thresholds below. A binary model folder always uses the thresholds.
       */
      labelRule: z.enum(LABEL_RULES, { error: 'must be "model" or "thresholds"' }).default("model"),
      /** Overrides of the model's label thresholds (null: use the model's metadata). */
      negativeBelow: probability.nullable().default(null),
      positiveAbove: probability.nullable().default(null),
      maxTextLength: integer(1, 100_000).default(5000),
      maxBatchTexts: integer(1, 4096).default(512),
    })
    .prefault({})
    .refine((model) => (model.negativeBelow === null) === (model.positiveAbove === null), {
      message: "negativeBelow and positiveAbove must be set together",
    })
    .refine(
      (model) => model.negativeBelow === null || model.negativeBelow <= (model.positiveAbove ?? 1),
      {
        message: "negativeBelow must not exceed positiveAbove",
      },
    ),
  inference: z
    .strictObject({
      /** Inference worker threads per process, each with one model instance; 0 = one per core. */
      workers: integer(0, 64).default(0),
      batchMaxSize: integer(1, 4096).default(64),
      batchMaxDelayMs: integer(0, 1000).default(2),
      /** Texts waiting for a worker beyond which requests get 503 at once. */
      maxQueuedTexts: integer(1, 1_000_000).default(4096),
      /** A request not scored within this time fails with 503. */
      deadlineMs: integer(1, 600_000).default(5000),
    })
    .prefault({}),
  predictions: z
    .strictObject({
      /** Record every scored text for audit and retraining. */
      enabled: flag.default(true),
      /** postgres://... for PostgreSQL; null keeps them in SQLite at `sqlitePath`. */
      databaseUrl: z.string().min(1).nullable().default(null),
      sqlitePath: path.default("var/predictions.sqlite"),
      /** false keeps only the SHA-256 of each text. */
      logText: flag.default(true),
      /** Records waiting for the database beyond which new ones are counted as dropped. */
      maxBufferedRecords: integer(100, 10_000_000).default(10_000),
      /**
       * The SQLite log's cap on its file + WAL + shm: the oldest records are pruned to stay under
       * it. null (0/off) keeps growing. PostgreSQL is bounded by `retention` instead.
       */
      maxBytes: byteSize.default(2 ** 30),
      /** Records older than this are pruned (null: kept forever). Milliseconds; `30d` in files. */
      retention: retention.default(30 * 86_400_000),
      /** Share of requests logged (0..1), decided per request id: a batch is kept or skipped whole. */
      sampleRate: probability.default(1),
    })
    .prefault({}),
  rateLimit: z
    .strictObject({
      enabled: flag.default(true),
      /** Default per-issuer policy: tokens per second and bucket size. */
      requestsPerSecond: integer(1, 1_000_000).default(1000),
      burst: integer(1, 10_000_000).default(2000),
      /** "memory" (per process) or a redis:// URL shared by every process and replica. */
      store: z
        .string()
        .regex(/^(memory|rediss?:\/\/.+)$/, { error: 'must be "memory" or a redis:// URL' })
        .default("memory"),
      /** Per-issuer overrides of the default policy. */
      issuers: z
        .record(
          z.string().min(1),
          z.strictObject({
            requestsPerSecond: integer(1, 1_000_000),
            burst: integer(1, 10_000_000),
          }),
        )
        .default({}),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Prometheus metrics on a separate plain-HTTP port, loopback-only by default. */
      enabled: flag.default(true),
      host: z.string().min(1).default("127.0.0.1"),
      port: integer(0, 65535).default(9464),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      /** "auto": readable lines on a terminal in development, JSON lines otherwise. */
      format: z.enum(["auto", "json", "pretty"]).default("auto"),
    })
    .prefault({}),
});

/** Checks across sections. */
export const configSchema = configObject.superRefine((config, context) => {
  const { maxBytes, logText, enabled, databaseUrl } = config.predictions;
  // The cap bounds the SQLite file; PostgreSQL is bounded by retention.
  if (!enabled || maxBytes === null || /^postgres(ql)?:/i.test(databaseUrl ?? "")) return;
  const minimum = minimumCapBytes({ maxTextLength: config.model.maxTextLength, logText });
  if (maxBytes < minimum) {
    context.addIssue({
      code: "custom",
      path: ["predictions", "maxBytes"],
      message: `${maxBytes} bytes is smaller than two write batches (${minimum} bytes: 200 records of up to ${config.model.maxTextLength} characters, one batch in the WAL and one in the file); raise it or set 0/off for no cap`,
    });
  }
});

export type AppConfig = z.infer<typeof configSchema>;
export type AppConfigInput = z.input<typeof configSchema>;

/** Default location of the public-key repository; the only one where dev keys are generated. */
export const DEFAULT_KEY_REPOSITORY = "keys/public";

/** Environment variable -> config path. Names follow Atlassian's ASAP libraries where they exist. */
export const ENVIRONMENT_OVERRIDES: Readonly<Record<string, readonly [string, string]>> = {
  HOST: ["server", "host"],
  PORT: ["server", "port"],
  WORKERS: ["server", "workers"],
  BODY_LIMIT_BYTES: ["server", "bodyLimitBytes"],
  SHUTDOWN_TIMEOUT_MS: ["server", "shutdownTimeoutMs"],
  TLS_CERT_FILE: ["tls", "certFile"],
  TLS_KEY_FILE: ["tls", "keyFile"],
  TLS_SELF_SIGNED_DIR: ["tls", "selfSignedDir"],
  TLS_CLIENT_CA_FILE: ["tls", "clientCaFile"],
  ASAP_PUBLICKEY_REPOSITORY: ["asap", "publicKeyRepository"],
  ASAP_VALID_AUDIENCE: ["asap", "audience"],
  ASAP_VALID_ISSUERS: ["asap", "validIssuers"],
  ASAP_VALID_LEEWAY: ["asap", "leewaySeconds"],
  ASAP_MAX_LIFETIME: ["asap", "maxLifetimeSeconds"],
  ASAP_REPLAY_PROTECTION: ["asap", "replayProtection"],
  ASAP_REPLAY_STORE: ["asap", "replayStore"],
  ASAP_REPLAY_MAX_ENTRIES: ["asap", "replayMaxEntries"],
  ASAP_TOKEN_CACHE_MAX_ENTRIES: ["asap", "tokenCacheMaxEntries"],
  MODEL_DIR: ["model", "dir"],
  LABEL_RULE: ["model", "labelRule"],
  MODEL_NEGATIVE_BELOW: ["model", "negativeBelow"],
  MODEL_POSITIVE_ABOVE: ["model", "positiveAbove"],
  MAX_TEXT_LENGTH: ["model", "maxTextLength"],
  MAX_BATCH_TEXTS: ["model", "maxBatchTexts"],
  INFERENCE_WORKERS: ["inference", "workers"],
  BATCH_MAX_SIZE: ["inference", "batchMaxSize"],
  BATCH_MAX_DELAY_MS: ["inference", "batchMaxDelayMs"],
  QUEUE_MAX_TEXTS: ["inference", "maxQueuedTexts"],
  REQUEST_DEADLINE_MS: ["inference", "deadlineMs"],
  PREDICTION_LOG: ["predictions", "enabled"],
  DATABASE_URL: ["predictions", "databaseUrl"],
  PREDICTION_LOG_TEXT: ["predictions", "logText"],
  PREDICTION_LOG_MAX_BYTES: ["predictions", "maxBytes"],
  PREDICTION_LOG_RETENTION: ["predictions", "retention"],
  PREDICTION_LOG_SAMPLE_RATE: ["predictions", "sampleRate"],
  RATE_LIMIT_ENABLED: ["rateLimit", "enabled"],
  RATE_LIMIT_RPS: ["rateLimit", "requestsPerSecond"],
  RATE_LIMIT_BURST: ["rateLimit", "burst"],
  RATE_LIMIT_STORE: ["rateLimit", "store"],
  METRICS_ENABLED: ["metrics", "enabled"],
  METRICS_HOST: ["metrics", "host"],
  METRICS_PORT: ["metrics", "port"],
  LOG_LEVEL: ["log", "level"],
  LOG_FORMAT: ["log", "format"],
};
