/** The client against the real service over HTTPS, started by the tests. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createSentimentClient,
  type SentimentClient,
} from "../../../clients/typescript/src/client.js";
import { SentimentApiError } from "../../../clients/typescript/src/errors.js";
import type { SentimentClientOptions } from "../../../clients/typescript/src/options.js";
import { createKeyPair } from "../../../src/asap/keygen.js";
import { createTestTls } from "../../support/key-server.js";
import { startTestService, type TestService } from "../../support/service.js";
import { rejection } from "./rejection.js";

const JWS = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

/** Alternating clearly positive and clearly negative texts, each one unique. */
function alternatingTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? `I love this, it is wonderful and great, thank you #${i}`
      : `I hate this, it is awful and terrible, worst ever #${i}`,
  );
}

/** A key pair for `issuer` in the service's key repository; returns its data URI and PEM. */
async function registeredKey(dir: string, issuer: string) {
  const created = await createKeyPair({
    issuer,
    name: "k1",
    alg: "ES256",
    privateDir: join(dir, "keys/private"),
    publicDir: join(dir, "keys/public"),
  });
  return { ...created, pem: readFileSync(created.privateKeyPath, "utf8") };
}

/** A port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe("against the real service", () => {
  const logLines: string[] = [];
  let svc: TestService;
  let billing: Awaited<ReturnType<typeof registeredKey>>;
  /** An issuer allowed one request a second. */
  let throttled: Awaited<ReturnType<typeof registeredKey>>;
  const clients: SentimentClient[] = [];

  /** A client for `svc` (closed after the tests), with the billing key unless overridden. */
  const clientFor = (overrides: Partial<SentimentClientOptions> = {}) => {
    const client = createSentimentClient({
      baseUrl: svc.url,
      issuer: "billing",
      privateKey: billing.dataUri,
      ca: svc.ca,
      ...overrides,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    svc = await startTestService(
      { rateLimit: { issuers: { throttled: { requestsPerSecond: 1, burst: 1 } } } },
      { logLines },
    );
    billing = await registeredKey(svc.dir, "billing");
    throttled = await registeredKey(svc.dir, "throttled");
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await svc?.service.stop();
  });

  it("scores one text with the service's model", async () => {
    const result = await clientFor().score("I love my new phone, the battery lasts forever");
    expect(result).toMatchObject({
      label: "POSITIVE",
      model: { name: "sentiment-boe", version: expect.any(String) },
      elapsed_time: expect.any(Number),
    });
    expect(result.score).toBeGreaterThan(0.7);
    const { negative, neutral, positive } = result.probabilities ?? {};
    expect((negative ?? 0) + (neutral ?? 0) + (positive ?? 0)).toBeCloseTo(1, 6);
    expect(positive).toBeGreaterThan(negative ?? 1);
  });

  it("scores 1,300 texts in batches of at most 512 and returns the results in input order", async () => {
    const client = clientFor();
    const texts = alternatingTexts(1300);
    const results = await client.scoreMany(texts);
    expect(results).toHaveLength(1300);
    expect(results.map((result) => result.label)).toEqual(
      texts.map((_, i) => (i % 2 === 0 ? "POSITIVE" : "NEGATIVE")),
    );
    for (const index of [0, 511, 512, 1023, 1024, 1299]) {
      const single = await client.score(texts[index] as string);
      expect(results[index]?.score).toBeCloseTo(single.score, 6);
    }
  });

  it("names a refused text by its place in the whole list, not in its batch", async () => {
    const texts = alternatingTexts(1100);
    texts[700] = "   ";
    const error = (await rejection(clientFor().scoreMany(texts))) as SentimentApiError;
    expect({
      status: error.status,
      code: error.code,
      message: error.message,
      details: error.details,
    }).toEqual({
      status: 400,
      code: "invalid_request",
      message: "HTTP 400 invalid_request: texts.700: must not be empty or blank",
      details: { issues: [{ path: "texts.700", message: "must not be empty or blank" }] },
    });
  });

  it("lists the served model", async () => {
    const [model, ...others] = await clientFor().models();
    expect([model?.name, typeof model?.backend, others]).toEqual(["sentiment-boe", "string", []]);
  });

  it("signs with a data-URI key read from ASAP_PRIVATE_KEY", async () => {
    vi.stubEnv("ASAP_PRIVATE_KEY", billing.dataUri);
    try {
      const client = clientFor({ privateKey: undefined });
      expect((await client.score("thanks, that was quick!")).label).toBe("POSITIVE");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("signs with a PEM key and its keyId", async () => {
    const client = clientFor({ privateKey: billing.pem, keyId: billing.kid });
    expect((await client.score("worst flight ever")).label).toBe("NEGATIVE");
  });

  it("surfaces the service's 401 code, status and request id when the token is refused", async () => {
    const outsider = mkdtempSync(join(tmpdir(), "client-outsider-"));
    try {
      const stranger = await registeredKey(outsider, "stranger");
      const error = await rejection(
        clientFor({ issuer: "stranger", privateKey: stranger.dataUri }).score("hi"),
      );
      expect(error).toBeInstanceOf(SentimentApiError);
      const { status, code, requestId, message } = error as SentimentApiError;
      expect({ status, code, requestId, message }).toEqual({
        status: 401,
        code: "unknown_key",
        requestId: expect.stringMatching(/.+/),
        message: expect.stringMatching(/^HTTP 401 unknown_key: /),
      });
    } finally {
      rmSync(outsider, { recursive: true, force: true });
    }
  });

  it("surfaces invalid_audience for tokens minted for another audience", async () => {
    const error = await rejection(clientFor({ audience: "another-api" }).score("hi"));
    expect([error.code, (error as SentimentApiError).status]).toEqual(["invalid_audience", 401]);
  });

  it("waits out a 429 as its Retry-After says, then succeeds", async () => {
    const client = clientFor({ issuer: "throttled", privateKey: throttled.dataUri });
    await client.score("first call spends the burst");
    const started = performance.now();
    const second = await client.score("second call is rate limited once");
    expect([second.label, performance.now() - started >= 900]).toEqual([expect.any(String), true]);
    const limited = logLines.filter(
      (line) => line.includes('"status":429') && line.includes('"iss":"throttled"'),
    );
    expect(limited.length).toBeGreaterThanOrEqual(1);
  });

  it("rejects with rate_limited and the Retry-After when no attempt is left", async () => {
    const client = clientFor({
      issuer: "throttled",
      privateKey: throttled.dataUri,
      maxAttempts: 1,
    });
    // A bucket of one token a second: of two calls at once, one is refused.
    const outcomes = await Promise.allSettled([client.score("one"), client.score("two")]);
    const refused = outcomes.flatMap((outcome) =>
      outcome.status === "rejected" ? [outcome.reason as SentimentApiError] : [],
    );
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const [{ status, code, retryAfterSeconds }] = refused as [SentimentApiError];
    expect({ status, code, retryAfterSeconds }).toEqual({
      status: 429,
      code: "rate_limited",
      retryAfterSeconds: expect.any(Number),
    });
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it("refuses a service whose certificate the given CA did not sign", async () => {
    const otherCa = (await createTestTls()).cert;
    const errors = [
      await rejection(clientFor({ ca: otherCa }).score("hi")),
      await rejection(clientFor({ ca: undefined }).score("hi")),
    ];
    expect(errors.map((error) => error.code)).toEqual([
      "untrusted_certificate",
      "untrusted_certificate",
    ]);
    expect(errors[0]?.message).toMatch(/pass the CA that signed it.* as the ca option/);
  });

  it("fails with connection_failed within the deadline when the service is down", async () => {
    const port = await closedPort();
    const client = clientFor({ baseUrl: `https://localhost:${port}`, timeoutMs: 3000 });
    const started = performance.now();
    const error = await rejection(client.score("hi"));
    expect([error.code, error.message]).toEqual([
      "connection_failed",
      expect.stringContaining(`localhost:${port}/v1/sentiment`),
    ]);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("leaves no token in the service's log lines", async () => {
    const client = clientFor();
    await client.score("one more for the log");
    await rejection(clientFor({ audience: "another-api" }).score("refused"));
    expect(logLines.length).toBeGreaterThan(5);
    expect(logLines.filter((line) => JWS.test(line))).toEqual([]);
    expect(logLines.filter((line) => line.includes(billing.dataUri.slice(-60)))).toEqual([]);
  });
});

describe("against a real service that sheds load", () => {
  let svc: TestService;
  const logLines: string[] = [];

  beforeAll(async () => {
    // Room for one batch of 100 texts in the queue: concurrent batches are turned away with 503.
    svc = await startTestService({ inference: { maxQueuedTexts: 150 } }, { logLines });
  });
  afterAll(() => svc?.service.stop());

  it("scoreMany rides out 503 overloaded answers by honouring Retry-After, keeping the order", async () => {
    const key = await registeredKey(svc.dir, "bulk");
    const client = createSentimentClient({
      baseUrl: svc.url,
      issuer: "bulk",
      privateKey: key.dataUri,
      ca: svc.ca,
      maxBatchTexts: 100,
      concurrency: 8,
      maxAttempts: 20,
      timeoutMs: 60_000,
    });
    try {
      const texts = alternatingTexts(2400);
      const results = await client.scoreMany(texts);
      expect(results.map((result) => result.label)).toEqual(
        texts.map((_, i) => (i % 2 === 0 ? "POSITIVE" : "NEGATIVE")),
      );
      const shed = logLines.filter((line) => line.includes('"status":503'));
      expect(shed.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  }, 120_000);
});
