import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSentimentModel, type SentimentModel } from "../../../src/model/inference.js";
import { SHIPPED_MODEL_DIR, startTestService, type TestService } from "../../support/service.js";

let svc: TestService;
let reference: SentimentModel;

beforeAll(async () => {
  svc = await startTestService({ server: { bodyLimitBytes: 64 * 1024 } });
  reference = await loadSentimentModel(SHIPPED_MODEL_DIR, { backend: "wasm" });
});
afterAll(async () => {
  reference?.dispose();
  await svc?.service.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const token = await svc.token();
  return svc.request(path, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

describe("POST /v1/sentiment", () => {
  it("answers label, score, probabilities, elapsed time and model, as the model scores the text", async () => {
    const text = "I love this phone, the battery lasts forever";
    const res = await post("/v1/sentiment", { text });
    expect(res.status).toBe(200);
    const body = res.json<{
      label: string;
      score: number;
      probabilities: Record<string, number>;
      elapsed_time: number;
      model: unknown;
    }>();
    const [expected] = await reference.predict([text]);
    expect(body.score).toBeCloseTo(expected?.score ?? Number.NaN, 6);
    expect(body.label).toBe(expected?.label);
    for (const key of ["negative", "neutral", "positive"] as const) {
      expect(body.probabilities[key]).toBeCloseTo(expected?.probabilities[key] ?? Number.NaN, 6);
    }
    expect(body.elapsed_time).toBeGreaterThanOrEqual(0);
    expect(body.model).toEqual({
      name: reference.metadata.name,
      version: reference.metadata.version,
    });
  });

  it("answers another method with 405 and Allow, and an unknown path with 404", async () => {
    const token = await svc.token();
    const get = await svc.request("/v1/sentiment", {
      headers: { Authorization: `Bearer ${token}` },
    });
    const health = await svc.request("/healthz", { method: "POST" });
    const unknown = await svc.request("/v1/sentiments", {
      method: "POST",
      headers: { Authorization: `Bearer ${await svc.token()}` },
    });
    expect([get.status, get.headers.allow, get.json()]).toEqual([
      405,
      "POST",
      expect.objectContaining({ error: "method_not_allowed" }),
    ]);
    expect([health.status, health.headers.allow]).toEqual([405, "GET, HEAD"]);
    expect([unknown.status, unknown.headers.allow, unknown.json()]).toEqual([
      404,
      undefined,
      expect.objectContaining({ error: "not_found" }),
    ]);
  });

  it("requires an ASAP token", async () => {
    const res = await svc.request("/v1/sentiment", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: "hello" }),
    });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: "missing_token" });
  });

  it.each([
    ["emoji", "this is 🔥🔥🔥 😍"],
    ["right-to-left script", "أنا سعيد جدا اليوم"],
    ["combining marks", "cafe\u0301 was gre\u0301at"],
    ["a lone surrogate", "bad \ud800 half"],
    ["a NUL character", "nul\u0000inside"],
    ["only punctuation", "?!?!...."],
  ])("scores text with %s", async (_name, text) => {
    const res = await post("/v1/sentiment", { text });
    expect(res.status).toBe(200);
    const { score, label } = res.json<{ score: number; label: string }>();
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(["NEGATIVE", "NEUTRAL", "POSITIVE"]).toContain(label);
  });
});

describe("POST /v1/sentiment/batch", () => {
  it("answers one result per text, in input order", async () => {
    const texts = [
      "worst service ever, never again",
      "what a beautiful morning, so happy",
      "the bus is late",
      "I can't stand this weather",
      "thanks so much, you made my day!",
    ];
    const res = await post("/v1/sentiment/batch", { texts });
    expect(res.status).toBe(200);
    const body = res.json<{
      results: { label: string; score: number; probabilities: Record<string, number> }[];
      model: unknown;
    }>();
    const expected = await reference.predict(texts);
    expect(body.results).toHaveLength(texts.length);
    body.results.forEach((result, index) => {
      expect(result.score).toBeCloseTo(expected[index]?.score ?? Number.NaN, 6);
      expect(result.label).toBe(expected[index]?.label);
      expect(Object.keys(result)).toEqual(["label", "score", "probabilities"]);
      expect(result.probabilities.positive).toBeCloseTo(
        expected[index]?.probabilities.positive ?? Number.NaN,
        6,
      );
    });
  });

  it("accepts 512 texts and refuses 513 with the field's path", async () => {
    const ok = await post("/v1/sentiment/batch", {
      texts: Array.from({ length: 512 }, (_, i) => `text ${i}`),
    });
    expect(ok.status).toBe(200);
    const tooMany = await post("/v1/sentiment/batch", {
      texts: Array.from({ length: 513 }, () => "x"),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json()).toMatchObject({
      error: "invalid_request",
      details: { issues: [{ path: "texts" }] },
    });
  });

  it("names the offending text's index", async () => {
    const res = await post("/v1/sentiment/batch", { texts: ["fine", "also fine", 42] });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({
      details: { issues: [{ path: "texts.2", message: "must be a string" }] },
    });
  });

  it("refuses an empty list", async () => {
    const res = await post("/v1/sentiment/batch", { texts: [] });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ details: { issues: [{ path: "texts" }] } });
  });
});

describe("bad input", () => {
  const cases: [string, unknown, string, string][] = [
    ["a missing text", {}, "text", "is required"],
    ["an empty text", { text: "" }, "text", "must not be empty or blank"],
    ["a blank text", { text: " \n\t " }, "text", "must not be empty or blank"],
    ["a non-string text", { text: 12 }, "text", "must be a string"],
    ["a null text", { text: null }, "text", "must be a string"],
    [
      "a text over 5000 characters",
      { text: "a".repeat(5001) },
      "text",
      "must be at most 5000 characters",
    ],
    ["a JSON array body", ["text"], "(body)", "must be a JSON object"],
  ];
  it.each(cases)("refuses %s with 400 and the field's path", async (_name, body, path, message) => {
    const res = await post("/v1/sentiment", body);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({
      error: "invalid_request",
      request_id: res.headers["x-request-id"],
      details: { issues: [{ path, message }] },
    });
  });

  it("counts characters, not UTF-16 units: 5000 emoji are accepted", async () => {
    const res = await post("/v1/sentiment", { text: "😀".repeat(5000) });
    expect(res.status).toBe(200);
  });

  it("refuses an unknown field", async () => {
    const res = await post("/v1/sentiment", { text: "hi", txet: "typo" });
    expect(res.status).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/txet/);
  });

  it("refuses a JSON body that does not parse with 400 invalid_json", async () => {
    const res = await post("/v1/sentiment", "{text: nope");
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: "invalid_json" });
  });

  it("refuses a truncated batch body with 400 invalid_json", async () => {
    const res = await post("/v1/sentiment/batch", '{"texts": ["a", "b"');
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: "invalid_json" });
  });

  it("refuses another content type with 415", async () => {
    const res = await post("/v1/sentiment", "text=hello", {
      "Content-Type": "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({ error: "unsupported_media_type" });
  });

  it("refuses a gzip-compressed body with 415 unsupported_content_encoding, not invalid_json", async () => {
    const res = await post("/v1/sentiment", gzipSync(JSON.stringify({ text: "great day" })), {
      "Content-Encoding": "gzip",
    });
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({ error: "unsupported_content_encoding" });
    expect(res.json<{ message: string }>().message).toMatch(/uncompressed/);
    expect(res.headers["accept-encoding"]).toBe("identity");
  });

  it("accepts a body declared with Content-Encoding: identity", async () => {
    const res = await post(
      "/v1/sentiment",
      { text: "great day" },
      { "Content-Encoding": "identity" },
    );
    expect(res.status).toBe(200);
  });

  it("refuses a body declared as Latin-1 with 415 unsupported_charset, not scoring U+FFFD", async () => {
    const res = await post(
      "/v1/sentiment",
      Buffer.from('{"text": "caf\u00e9 cr\u00e8me"}', "latin1"),
      {
        "Content-Type": "application/json; charset=ISO-8859-1",
      },
    );
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({ error: "unsupported_charset" });
  });

  it.each(["utf-8", "UTF-8", '"utf-8"', "utf8"])("accepts charset=%s", async (charset) => {
    const res = await post(
      "/v1/sentiment",
      { text: "caf\u00e9" },
      {
        "Content-Type": `application/json; charset=${charset}`,
      },
    );
    expect(res.status).toBe(200);
  });

  it("refuses a chunked body (no Content-Length) over the limit with 413", async () => {
    const token = await svc.token();
    const res = await svc.request("/v1/sentiment", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
      },
      body: JSON.stringify({ text: "a".repeat(100 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ error: "payload_too_large" });
  });

  it("refuses a body over the limit with 413", async () => {
    const res = await post("/v1/sentiment/batch", {
      texts: Array.from({ length: 100 }, () => "a".repeat(1000)),
    });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ error: "payload_too_large" });
  });
});

describe("GET /v1/models", () => {
  const get = async (path: string) =>
    svc.request(path, { headers: { Authorization: `Bearer ${await svc.token()}` } });

  it("lists the served model with its metrics, thresholds and backend", async () => {
    const res = await get("/v1/models");
    expect(res.status).toBe(200);
    const [model] = res.json<{ models: Record<string, unknown>[] }>().models;
    expect(model).toMatchObject({
      name: reference.metadata.name,
      version: reference.metadata.version,
      thresholds: reference.metadata.thresholds,
      backend: "wasm",
      classes: reference.metadata.classes ?? null,
      labelRule: reference.labelRule,
      labelThresholds: reference.thresholds,
    });
    expect(Object.keys(model?.metrics as object).length).toBeGreaterThan(0);
  });

  it("describes the model by name and answers 404 for another name", async () => {
    const found = await get(`/v1/models/${reference.metadata.name}`);
    expect(found.status).toBe(200);
    expect(found.json()).toMatchObject({ name: reference.metadata.name });
    const missing = await get("/v1/models/no-such-model");
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ error: "model_not_found" });
  });
});
