import type { OutgoingHttpHeaders } from "node:http";
import { Agent } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { forEachBounded, splitIntoBatches } from "./batches.js";
import { SentimentApiError, SentimentClientError } from "./errors.js";
import {
  CutShortAnswerError,
  exchange,
  type HttpAnswer,
  type HttpTarget,
} from "./http-exchange.js";
import { type ResolvedOptions, resolveOptions, type SentimentClientOptions } from "./options.js";
import { parseRetryAfter, retryDelayMs } from "./retry.js";
import type { ModelInfo, Prediction, SentimentResult } from "./types.js";

export interface CallOptions {
  /** Aborts the call (and its retries); it then rejects with code `aborted`. */
  readonly signal?: AbortSignal;
}

export interface SentimentClient {
  /** Scores one text (POST /v1/sentiment). */
  score(text: string, options?: CallOptions): Promise<SentimentResult>;
  /**
   * Scores any number of texts, in batch requests of at most `maxBatchTexts` texts run
   * `concurrency` at a time; the results are in input order. The first failed batch rejects the
   * call and aborts the others.
   */
  scoreMany(texts: readonly string[], options?: CallOptions): Promise<Prediction[]>;
  /** The served models' metadata (GET /v1/models). */
  models(options?: CallOptions): Promise<ModelInfo[]>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/**
 * A client for the sentiment-api service. Every option is checked here, so a wrong key, kid,
 * data URI or URL fails now, not at the first request.
 */
export function createSentimentClient(options: SentimentClientOptions): SentimentClient {
  const resolved = resolveOptions(options);
  const agent = new Agent({ keepAlive: true, ...(resolved.ca ? { ca: resolved.ca } : {}) });
  const target = (path: string): HttpTarget => {
    const url = new URL(path, resolved.baseUrl);
    return {
      agent,
      // URL keeps IPv6 literals bracketed; the socket wants them bare.
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(url.port || 443),
      path: url.pathname,
    };
  };
  const endpoints = {
    sentiment: target("v1/sentiment"),
    batch: target("v1/sentiment/batch"),
    models: target("v1/models"),
  };
  const call = <T>(
    endpoint: HttpTarget,
    body: string | undefined,
    read: (json: unknown) => T,
    signal: AbortSignal | undefined,
  ) => callWithRetries(resolved, endpoint, body, read, signal);

  return {
    score(text, callOptions = {}) {
      if (typeof text !== "string") {
        return Promise.reject(invalidInput("score(text): text must be a string"));
      }
      return call(endpoints.sentiment, JSON.stringify({ text }), readResult, callOptions.signal);
    },

    async scoreMany(texts, callOptions = {}) {
      if (!Array.isArray(texts)) throw invalidInput("scoreMany(texts): texts must be an array");
      const bad = texts.findIndex((text) => typeof text !== "string");
      if (bad !== -1) throw invalidInput(`scoreMany(texts): texts[${bad}] is not a string`);
      const results = new Array<Prediction>(texts.length);
      const batches = splitIntoBatches(texts, resolved.maxBatchTexts, resolved.maxBatchBytes);
      await forEachBounded(
        batches,
        resolved.concurrency,
        async (batch, signal) => {
          const predictions = await call(
            endpoints.batch,
            batch.body,
            (json) => readBatch(json, batch.count),
            signal,
          ).catch((error: unknown) => {
            throw pointAtInputTexts(error, batch.start);
          });
          for (let i = 0; i < batch.count; i++) {
            results[batch.start + i] = predictions[i] as Prediction;
          }
        },
        callOptions.signal,
      );
      return results;
    },

    models(callOptions = {}) {
      return call(endpoints.models, undefined, readModels, callOptions.signal);
    },

    close() {
      agent.destroy();
    },
  };
}

/** One API call: a fresh token per attempt, retries on 429/503/no connection, one deadline. */
async function callWithRetries<T>(
  options: ResolvedOptions,
  endpoint: HttpTarget,
  body: string | undefined,
  read: (json: unknown) => T,
  signal: AbortSignal | undefined,
): Promise<T> {
  const where = `${endpoint.hostname}:${endpoint.port}${endpoint.path}`;
  const started = performance.now();
  const expiry = new AbortController();
  const timer = setTimeout(() => expiry.abort(), options.timeoutMs);
  const stop = signal ? AbortSignal.any([signal, expiry.signal]) : expiry.signal;
  // Why an attempt failed, as the caller should see it.
  const classify = (error: unknown): SentimentClientError => {
    if (error instanceof SentimentClientError) return error;
    if (signal?.aborted) {
      return new SentimentClientError("aborted", `the call to ${where} was aborted`, {
        cause: signal.reason,
      });
    }
    if (expiry.signal.aborted) {
      return new SentimentClientError(
        "timeout",
        `no answer from ${where} within ${options.timeoutMs} ms`,
      );
    }
    return networkError(error, where);
  };
  try {
    for (let attempt = 1; ; attempt++) {
      let failure: SentimentClientError;
      try {
        const headers = requestHeaders(await options.tokens.token(), body);
        const method = body === undefined ? "GET" : "POST";
        const answer = await exchange(endpoint, method, headers, body, stop);
        if (answer.status >= 200 && answer.status < 300) return read(parseJson(answer, where));
        failure = apiError(answer);
      } catch (error) {
        failure = classify(error);
      }
      const delay = retryDelayMs(failure, attempt, {
        maxAttempts: options.maxAttempts,
        remainingMs: options.timeoutMs - (performance.now() - started),
      });
      if (delay === undefined) throw failure;
      await sleep(delay, undefined, { signal: stop }).catch((error: unknown) => {
        throw classify(error);
      });
    }
  } finally {
    clearTimeout(timer);
  }
}

function requestHeaders(token: string, body: string | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    accept: "application/json",
    authorization: `Bearer ${token}`,
  };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = Buffer.byteLength(body);
  }
  return headers;
}

const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

function networkError(error: unknown, where: string): SentimentClientError {
  if (error instanceof CutShortAnswerError) {
    return new SentimentClientError(
      "invalid_response",
      `the HTTP ${error.status} answer from ${where} was cut short`,
      { cause: error },
    );
  }
  const code = (error as { code?: unknown }).code;
  const reason = error instanceof Error ? error.message : String(error);
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new SentimentClientError(
      "untrusted_certificate",
      `the TLS certificate of ${where} is not issued for that host (${reason}): use a host name the certificate names`,
      { cause: error },
    );
  }
  if (typeof code === "string" && CERTIFICATE_ERROR.test(code)) {
    return new SentimentClientError(
      "untrusted_certificate",
      `the TLS certificate of ${where} is not trusted (${reason}): pass the CA that signed it, or the service's own certificate, as the ca option`,
      { cause: error },
    );
  }
  return new SentimentClientError("connection_failed", `cannot reach ${where}: ${reason}`, {
    cause: error,
  });
}

function parseJson(answer: HttpAnswer, where: string): unknown {
  try {
    return JSON.parse(answer.body);
  } catch {
    throw new SentimentClientError(
      "invalid_response",
      `the HTTP ${answer.status} answer from ${where} is not JSON (${answer.headers["content-type"] ?? "no content type"}, ${Buffer.byteLength(answer.body)} bytes)`,
    );
  }
}

/** The service's error answer as a typed error (its `error`, `message`, `request_id`). */
function apiError(answer: HttpAnswer): SentimentApiError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // A proxy's HTML page: the status still says what happened.
  }
  const code = typeof body.error === "string" ? body.error : `http_${answer.status}`;
  const message = typeof body.message === "string" ? body.message : "no error message";
  const header = answer.headers["x-request-id"];
  const requestId =
    typeof body.request_id === "string"
      ? body.request_id
      : Array.isArray(header)
        ? header[0]
        : header;
  return new SentimentApiError({
    code,
    message: `HTTP ${answer.status} ${code}: ${message}`,
    status: answer.status,
    requestId,
    retryAfterSeconds: parseRetryAfter(answer.headers["retry-after"], Date.now()),
    details: body.details,
  });
}

/**
 * A batch's 400 names a text by its place in the batch (`texts.3`); the caller of scoreMany knows
 * it by its place in the whole list, `start` texts further.
 */
function pointAtInputTexts(error: unknown, start: number): unknown {
  if (!(error instanceof SentimentApiError) || start === 0) return error;
  const shift = (text: string) =>
    text.replace(/\btexts\.(\d+)/g, (_, index: string) => `texts.${Number(index) + start}`);
  const details = error.details as { issues?: { path?: unknown }[] } | undefined;
  const issues = Array.isArray(details?.issues)
    ? details.issues.map((issue) =>
        typeof issue?.path === "string" ? { ...issue, path: shift(issue.path) } : issue,
      )
    : undefined;
  return new SentimentApiError({
    code: error.code,
    message: shift(error.message),
    status: error.status,
    requestId: error.requestId,
    retryAfterSeconds: error.retryAfterSeconds,
    details: issues === undefined ? error.details : { ...details, issues },
  });
}

function isPrediction(value: unknown): value is Prediction {
  const candidate = value as Prediction | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.label === "string" &&
    typeof candidate.score === "number"
  );
}

function unexpected(what: string): SentimentClientError {
  return new SentimentClientError("invalid_response", `the service's answer is not ${what}`);
}

function readResult(json: unknown): SentimentResult {
  if (!isPrediction(json)) throw unexpected("a prediction (label and score)");
  return json as SentimentResult;
}

function readBatch(json: unknown, count: number): readonly Prediction[] {
  const results = (json as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== count || !results.every(isPrediction)) {
    throw unexpected(`a list of ${count} predictions`);
  }
  return results;
}

function readModels(json: unknown): ModelInfo[] {
  const models = (json as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) throw unexpected("a list of models");
  return models as ModelInfo[];
}

function invalidInput(message: string): SentimentClientError {
  return new SentimentClientError("invalid_input", message);
}
