/**
 * The client against scripted HTTPS servers: exact answer sequences (503 then 200, cut-short
 * bodies, silence) that a real service cannot be made to produce on demand.
 */
import { generateKeyPairSync } from "node:crypto";
import type { ServerResponse } from "node:http";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  createSentimentClient,
  type SentimentClient,
} from "../../../clients/typescript/src/client.js";
import { SentimentApiError } from "../../../clients/typescript/src/errors.js";
import type { SentimentClientOptions } from "../../../clients/typescript/src/options.js";
import { rejection } from "./rejection.js";
import {
  apiError,
  batchByLength,
  json,
  prediction,
  type Reply,
  type ScriptedServer,
  silence,
  startScriptedServer,
} from "./scripted-server.js";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PRIVATE_KEY_PEM = privateKey.export({ type: "pkcs8", format: "pem" }) as string;

let server: ScriptedServer | undefined;
let client: SentimentClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

/** A scripted server answering the n-th request with `replies[n]` (the last one from then on). */
async function scripted(
  replies: readonly Reply[],
  options: Partial<SentimentClientOptions> = {},
): Promise<{ server: ScriptedServer; client: SentimentClient }> {
  server = await startScriptedServer(
    (index) => replies[Math.min(index, replies.length - 1)] as Reply,
  );
  client = createSentimentClient({
    baseUrl: server.url,
    issuer: "svc",
    keyId: "svc/k1",
    privateKey: PRIVATE_KEY_PEM,
    ca: server.ca,
    ...options,
  });
  return { server, client };
}

const tokenOf = (index: number) =>
  String(server?.requests[index]?.headers.authorization).replace(/^Bearer /, "");

describe("retries", () => {
  it("waits for a 503's Retry-After, then sends the request again with a fresh token", async () => {
    const { server, client } = await scripted([
      apiError(503, "overloaded", { "retry-after": "1" }),
      prediction(0.9),
    ]);
    const started = performance.now();
    const result = await client.score("hello");
    const elapsed = performance.now() - started;
    expect(result.score).toBe(0.9);
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(tokenOf(0)).not.toBe(tokenOf(1));
  });

  it("waits for a 429's Retry-After given as an HTTP date", async () => {
    const inTwoSeconds = new Date(Date.now() + 2000).toUTCString();
    const { server, client } = await scripted([
      apiError(429, "rate_limited", { "retry-after": inTwoSeconds }),
      prediction(0.2),
    ]);
    const started = performance.now();
    expect((await client.score("hello")).label).toBe("NEGATIVE");
    expect([server.requests.length, performance.now() - started >= 900]).toEqual([2, true]);
  });

  it("gives up after maxAttempts and rejects with the last answer's code, status and request id", async () => {
    const { server, client } = await scripted(
      [apiError(503, "overloaded", { "retry-after": "0" })],
      {
        maxAttempts: 3,
      },
    );
    const error = await rejection(client.score("hello"));
    expect(error).toBeInstanceOf(SentimentApiError);
    expect([
      error.code,
      (error as SentimentApiError).status,
      (error as SentimentApiError).requestId,
      (error as SentimentApiError).retryAfterSeconds,
      server.requests.length,
    ]).toEqual(["overloaded", 503, "req-overloaded", 0, 3]);
  });

  it("rejects at once when Retry-After would end after the deadline", async () => {
    const { server, client } = await scripted(
      [apiError(503, "overloaded", { "retry-after": "30" })],
      { timeoutMs: 2000 },
    );
    const started = performance.now();
    const error = await rejection(client.score("hello"));
    expect([error.code, server.requests.length]).toEqual(["overloaded", 1]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    [400, "invalid_request"],
    [401, "unknown_key"],
    [403, "issuer_not_allowed"],
    [413, "payload_too_large"],
    [500, "internal_error"],
  ])("never retries a %i", async (status, code) => {
    const { server, client } = await scripted([apiError(status, code), prediction()]);
    const error = await rejection(client.score("hello"));
    expect([error.code, (error as SentimentApiError).status, server.requests.length]).toEqual([
      code,
      status,
      1,
    ]);
  });

  it("retries a connection dropped before any answer", async () => {
    const { server, client } = await scripted([
      (response) => response.socket?.destroy(),
      prediction(0.5),
    ]);
    expect((await client.score("hello")).score).toBe(0.5);
    expect(server.requests).toHaveLength(2);
  });

  it("takes the status when an error answer is not JSON (a proxy's page)", async () => {
    const { client } = await scripted([
      (response) => {
        response.writeHead(502, { "content-type": "text/html", "x-request-id": "proxy-1" });
        response.end("<html>bad gateway</html>");
      },
    ]);
    const error = (await rejection(client.score("hello"))) as SentimentApiError;
    expect([error.code, error.status, error.requestId]).toEqual(["http_502", 502, "proxy-1"]);
  });
});

describe("answers that are not what the service sends", () => {
  it("rejects a 200 whose body is not JSON with invalid_response", async () => {
    const { client } = await scripted([
      (response) => {
        response.writeHead(200, { "content-type": "text/plain" });
        response.end("certainly positive");
      },
    ]);
    expect((await rejection(client.score("hello"))).code).toBe("invalid_response");
  });

  it("rejects a body cut short before its Content-Length with invalid_response", async () => {
    const { client } = await scripted([
      (response: ServerResponse) => {
        response.writeHead(200, { "content-type": "application/json", "content-length": "500" });
        response.write('{"label":"POSITIVE","sco');
        setTimeout(() => response.socket?.destroy(), 20);
      },
    ]);
    const error = await rejection(client.score("hello"));
    expect([error.code, error.message]).toEqual([
      "invalid_response",
      expect.stringMatching(/cut short/),
    ]);
  });

  it("rejects a batch answer with fewer results than texts sent", async () => {
    const { client } = await scripted([
      json(200, { results: [{ label: "POSITIVE", score: 0.9 }], elapsed_time: 0, model: {} }),
    ]);
    expect((await rejection(client.scoreMany(["a", "b"]))).code).toBe("invalid_response");
  });

  it("leaves no unhandled rejection behind when one batch of scoreMany is cut short", async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      const { client } = await scripted(
        [
          batchByLength,
          (response) => {
            response.writeHead(200, { "content-length": "100" });
            response.write("{");
            setTimeout(() => response.socket?.destroy(), 20);
          },
          batchByLength,
        ],
        { maxBatchTexts: 10, concurrency: 1 },
      );
      const texts = Array.from({ length: 30 }, (_, i) => `text ${i}`);
      const error = await rejection(client.scoreMany(texts));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect([error.code, unhandled]).toEqual(["invalid_response", []]);
    } finally {
      process.off("unhandledRejection", record);
    }
  });
});

describe("deadlines and aborts", () => {
  it("rejects with timeout when no answer comes within timeoutMs", async () => {
    const { client } = await scripted([silence], { timeoutMs: 300 });
    const started = performance.now();
    const error = await rejection(client.score("hello"));
    expect(error.code).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it("rejects with aborted when the caller's signal fires", async () => {
    const { client } = await scripted([silence]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(client.score("hello", { signal: controller.signal }));
    expect(error.code).toBe("aborted");
  });

  it("sends nothing for an already aborted signal", async () => {
    const { server, client } = await scripted([prediction()]);
    const error = await rejection(client.score("hello", { signal: AbortSignal.abort() }));
    expect([error.code, server.requests.length]).toEqual(["aborted", 0]);
  });

  it("aborts the other batches of scoreMany when one fails, and rejects with that failure", async () => {
    const { server, client } = await scripted([apiError(400, "invalid_request"), silence], {
      maxBatchTexts: 2,
      concurrency: 3,
      timeoutMs: 20_000,
    });
    const started = performance.now();
    const error = await rejection(client.scoreMany(["a", "b", "c", "d", "e", "f", "g"]));
    expect(error.code).toBe("invalid_request");
    expect(performance.now() - started).toBeLessThan(5000);
    expect(server.requests.length).toBeLessThanOrEqual(3);
  });
});

describe("scoreMany", () => {
  it("splits texts into batches of at most maxBatchTexts, runs them concurrently and keeps the order", async () => {
    const { server, client } = await scripted([batchByLength], { maxBatchTexts: 3 });
    const texts = Array.from({ length: 10 }, (_, i) => "x".repeat(i + 1));
    const results = await client.scoreMany(texts);
    expect(results.map((result) => result.score)).toEqual(texts.map((text) => text.length / 1000));
    const sizes = server.requests.map(
      (request) => (JSON.parse(request.body) as { texts: string[] }).texts.length,
    );
    expect(sizes.sort()).toEqual([1, 3, 3, 3]);
  });

  it("sends no request for an empty list", async () => {
    const { server, client } = await scripted([batchByLength]);
    expect([await client.scoreMany([]), server.requests.length]).toEqual([[], 0]);
  });

  it("refuses a list holding something other than strings before sending anything", async () => {
    const { server, client } = await scripted([batchByLength]);
    const error = await rejection(client.scoreMany(["ok", 42 as unknown as string]));
    expect([error.code, error.message, server.requests.length]).toEqual([
      "invalid_input",
      expect.stringMatching(/texts\[1\]/),
      0,
    ]);
  });

  it("sends each request with a token of its own", async () => {
    const { client } = await scripted([batchByLength], { maxBatchTexts: 1 });
    await client.scoreMany(["a", "b", "c"]);
    expect(new Set([0, 1, 2].map(tokenOf)).size).toBe(3);
  });

  it("reuses one token when reuseTokens is set", async () => {
    const { client } = await scripted([batchByLength], { maxBatchTexts: 1, reuseTokens: true });
    await client.scoreMany(["a", "b", "c"]);
    expect(new Set([0, 1, 2].map(tokenOf)).size).toBe(1);
  });
});

describe("requests", () => {
  it("sends JSON with its length, asks for JSON and carries an ASAP token for sentiment-api", async () => {
    const { server, client } = await scripted([prediction()]);
    await client.score("héllo");
    const [request] = server.requests;
    const payload = JSON.parse(Buffer.from(tokenOf(0).split(".")[1] ?? "", "base64url").toString());
    expect({
      method: request?.method,
      path: request?.path,
      type: request?.headers["content-type"],
      length: Number(request?.headers["content-length"]),
      accept: request?.headers.accept,
      body: request?.body,
      iss: payload.iss,
      aud: payload.aud,
      lifetime: payload.exp - payload.iat,
    }).toEqual({
      method: "POST",
      path: "/v1/sentiment",
      type: "application/json",
      length: Buffer.byteLength('{"text":"héllo"}'),
      accept: "application/json",
      body: '{"text":"héllo"}',
      iss: "svc",
      aud: "sentiment-api",
      lifetime: 60,
    });
  });

  it("keeps a path prefix of baseUrl", async () => {
    const { server } = await scripted([json(200, { models: [] })]);
    const prefixed = createSentimentClient({
      baseUrl: `${server.url}/sentiment`,
      issuer: "svc",
      keyId: "svc/k1",
      privateKey: PRIVATE_KEY_PEM,
      ca: server.ca,
    });
    try {
      await prefixed.models();
      expect(server.requests[0]?.path).toBe("/sentiment/v1/models");
    } finally {
      prefixed.close();
    }
  });

  it("sends several calls over one kept-alive connection", async () => {
    const { server, client } = await scripted([prediction()]);
    for (let i = 0; i < 3; i++) await client.score("hello");
    const ports = new Set(server.requests.map((request) => request.remotePort));
    expect([server.requests.length, ports.size]).toEqual([3, 1]);
  });
});

describe("secrets", () => {
  it("puts neither the private key nor a token in any error it raises", async () => {
    const { server, client } = await scripted([
      apiError(401, "invalid_signature"),
      apiError(503, "overloaded", { "retry-after": "60" }),
      (response) => {
        response.writeHead(200);
        response.end("not json");
      },
      silence,
    ]);
    const errors = [
      await rejection(client.score("a")),
      await rejection(client.score("b")),
      await rejection(client.score("c")),
    ];
    const slow = createSentimentClient({
      baseUrl: server.url,
      issuer: "svc",
      keyId: "svc/k1",
      privateKey: PRIVATE_KEY_PEM,
      ca: server.ca,
      timeoutMs: 200,
    });
    errors.push(await rejection(slow.score("d")));
    slow.close();
    const dumps = errors.map((error) => inspect(error, { depth: 10, showHidden: true }));
    const tokens = server.requests.map((_, index) => tokenOf(index));
    const keyBody = PRIVATE_KEY_PEM.split("\n")[1] as string;
    for (const dump of dumps) {
      expect(dump).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      for (const token of tokens) expect(dump).not.toContain(token.split(".")[2]);
      expect(dump).not.toContain(keyBody);
    }
    expect(errors.map((error) => error.code)).toEqual([
      "invalid_signature",
      "overloaded",
      "invalid_response",
      "timeout",
    ]);
  });
});
