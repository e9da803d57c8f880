// Requests and expected answers written from the Open Inference Protocol v2 REST specification
// (KServe / Triton / MLServer): health, server and model metadata, model readiness, inference with
// JSON tensors, and the {"error": "<message>"} body of failures.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadSentimentModel, type SentimentModel } from "../../../src/model/inference.js";
import {
  type InstrumentedService,
  LIMITS,
  RATE_LIMITED_ISSUER,
  startInstrumentedService,
} from "../../metrics/instrumented-service.js";
import { SHIPPED_MODEL_DIR } from "../../support/service.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let svc: InstrumentedService;
let reference: SentimentModel;
const scored: { text: string; issuer: string; requestId: string }[] = [];

beforeAll(async () => {
  svc = await startInstrumentedService({
    onScored: (event) =>
      scored.push({ text: event.text, issuer: event.issuer, requestId: event.requestId }),
  });
  reference = await loadSentimentModel(SHIPPED_MODEL_DIR, { backend: "wasm" });
});
afterAll(async () => {
  reference?.dispose();
  await svc?.stop();
});

const version = () => reference.metadata.version;

async function authorized(): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await svc.token()}`, "Content-Type": "application/json" };
}

async function infer(body: unknown, path = "/v2/models/sentiment/infer") {
  return svc.request(path, {
    method: "POST",
    headers: await authorized(),
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const textTensor = (data: unknown[], shape = [data.length]) => ({
  inputs: [{ name: "text", shape, datatype: "BYTES", data }],
});

interface ResponseOutput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}
interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: ResponseOutput[];
}

describe("health", () => {
  it("answers live without credentials", async () => {
    const res = await svc.request("/v2/health/live");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ live: true });
  });

  it("answers ready without credentials once the model is loaded", async () => {
    const res = await svc.request("/v2/health/ready");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ready: true });
  });

  it("answers not ready with a 4xx status while the server is not accepting", async () => {
    svc.setAccepting(false);
    try {
      const res = await svc.request("/v2/health/ready");
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ ready: false });
      const model = await svc.request("/v2/models/sentiment/ready", {
        headers: await authorized(),
      });
      expect(model.status).toBe(400);
      expect(model.json()).toEqual({ name: "sentiment", ready: false });
    } finally {
      svc.setAccepting(true);
    }
  });
});

describe("server metadata", () => {
  it("needs an ASAP token and answers in the protocol's error format", async () => {
    const res = await svc.request("/v2");
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
    const body = res.json<{ error: unknown; code: string }>();
    expect(typeof body.error).toBe("string");
    expect(body.code).toBe("missing_token");
  });

  it("answers name, version and extensions", async () => {
    const res = await svc.request("/v2", { headers: await authorized() });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: "sentiment-api", version: "0.1.0", extensions: [] });
  });
});

describe("model metadata", () => {
  const expected = () => ({
    name: "sentiment",
    versions: [version()],
    platform: "tensorflowjs",
    inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }],
    outputs: [
      { name: "score", datatype: "FP32", shape: [-1] },
      { name: "label", datatype: "BYTES", shape: [-1] },
      { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
    ],
  });

  it("describes the model's name, versions, platform and tensors", async () => {
    const res = await svc.request("/v2/models/sentiment", { headers: await authorized() });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(expected());
  });

  it("describes the served version at its versioned path", async () => {
    const res = await svc.request(`/v2/models/sentiment/versions/${version()}`, {
      headers: await authorized(),
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(expected());
  });

  it("answers 404 with an error message for an unknown model", async () => {
    const res = await svc.request("/v2/models/resnet50", { headers: await authorized() });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: expect.stringContaining("resnet50") });
  });

  it("answers 404 for a version that is not served", async () => {
    const res = await svc.request("/v2/models/sentiment/versions/0.0.0-nope", {
      headers: await authorized(),
    });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ code: "model_version_not_found" });
  });

  it("needs an ASAP token", async () => {
    const res = await svc.request("/v2/models/sentiment");
    expect(res.status).toBe(401);
  });
});

describe("model readiness", () => {
  it("answers ready for the model and its served version", async () => {
    for (const path of [
      "/v2/models/sentiment/ready",
      `/v2/models/sentiment/versions/${version()}/ready`,
    ]) {
      const res = await svc.request(path, { headers: await authorized() });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ name: "sentiment", ready: true });
    }
  });

  it("answers 404 for an unknown model", async () => {
    const res = await svc.request("/v2/models/other/ready", { headers: await authorized() });
    expect(res.status).toBe(404);
  });
});

describe("inference", () => {
  it("answers FP32 scores and BYTES labels as the model scores the texts", async () => {
    const texts = ["I love this phone", "worst service ever", "the bus leaves at nine"];
    const res = await infer({ id: "req-42", ...textTensor(texts) });
    expect(res.status).toBe(200);
    const body = res.json<InferResponse>();
    const expected = await reference.predict(texts);
    expect(body.model_name).toBe("sentiment");
    expect(body.model_version).toBe(version());
    expect(body.id).toBe("req-42");
    expect(body.outputs.map(({ name, shape, datatype }) => ({ name, shape, datatype }))).toEqual([
      { name: "score", shape: [3], datatype: "FP32" },
      { name: "label", shape: [3], datatype: "BYTES" },
      { name: "probabilities", shape: [3, 3], datatype: "FP32" },
    ]);
    const [scores, labels, probabilities] = body.outputs;
    expect(scores?.data).toHaveLength(3);
    (scores?.data as number[] | undefined)?.forEach((score, i) => {
      expect(score).toBeCloseTo(expected[i]?.score ?? Number.NaN, 5);
    });
    expect(labels?.data).toEqual(expected.map((p) => p.label));
    // Row-major: negative, neutral, positive of each text.
    expect(probabilities?.data).toHaveLength(9);
    expected.forEach((p, i) => {
      const row = ((probabilities?.data ?? []) as number[]).slice(i * 3, i * 3 + 3);
      expect(row[0]).toBeCloseTo(p.probabilities.negative, 5);
      expect(row[1]).toBeCloseTo(p.probabilities.neutral, 5);
      expect(row[2]).toBeCloseTo(p.probabilities.positive, 5);
      expect(Math.abs((row[0] ?? 0) + (row[1] ?? 0) + (row[2] ?? 0) - 1)).toBeLessThan(1e-6);
    });
  });

  it("answers only the probabilities tensor when only it is asked for", async () => {
    const res = await infer({
      ...textTensor(["great", "awful"]),
      outputs: [{ name: "probabilities" }],
    });
    expect(res.status).toBe(200);
    const body = res.json<InferResponse>();
    expect(body.outputs.map(({ name, shape }) => ({ name, shape }))).toEqual([
      { name: "probabilities", shape: [2, 3] },
    ]);
    expect(body.outputs[0]?.data).toHaveLength(6);
  });

  it("returns only the requested outputs, in the requested order", async () => {
    const res = await infer({
      ...textTensor(["great", "awful"]),
      outputs: [{ name: "label" }],
    });
    expect(res.status).toBe(200);
    const body = res.json<InferResponse>();
    expect(body.outputs.map((o) => o.name)).toEqual(["label"]);
    expect(body.outputs[0]?.data).toHaveLength(2);
  });

  it("answers with the request id of the HTTP exchange when the request has no id", async () => {
    const res = await infer(textTensor(["hello"]));
    expect(res.status).toBe(200);
    expect(res.json<InferResponse>().id).toBe(res.headers["x-request-id"]);
  });

  it("infers at the served version's path", async () => {
    const res = await infer(
      textTensor(["hello there"]),
      `/v2/models/sentiment/versions/${version()}/infer`,
    );
    expect(res.status).toBe(200);
    expect(res.json<InferResponse>().model_version).toBe(version());
  });

  it("accepts a request without a Content-Type, as some protocol clients send", async () => {
    const res = await svc.request("/v2/models/sentiment/infer", {
      method: "POST",
      headers: { Authorization: `Bearer ${await svc.token()}` },
      body: JSON.stringify(textTensor(["no content type"])),
    });
    expect(res.status).toBe(200);
  });

  it("tells the prediction log about every scored text with the caller", async () => {
    const res = await infer(textTensor(["logged one", "logged two"]));
    expect(res.status).toBe(200);
    const requestId = res.headers["x-request-id"];
    expect(scored.filter((event) => event.requestId === requestId)).toEqual([
      { text: "logged one", issuer: "test-client", requestId },
      { text: "logged two", issuer: "test-client", requestId },
    ]);
  });

  it("needs an ASAP token", async () => {
    const res = await svc.request("/v2/models/sentiment/infer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(textTensor(["hi"])),
    });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: expect.any(String), code: "missing_token" });
  });

  it("answers 404 for an unknown model", async () => {
    const res = await infer(textTensor(["hi"]), "/v2/models/bert/infer");
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: expect.stringContaining("bert") });
  });

  it("answers 404 for a version that is not served", async () => {
    const res = await infer(textTensor(["hi"]), "/v2/models/sentiment/versions/99/infer");
    expect(res.status).toBe(404);
  });

  const tooLong = "a".repeat(LIMITS.maxTextLength + 1);
  const tooMany = Array.from({ length: LIMITS.maxBatchTexts + 1 }, (_, i) => `text ${i}`);
  it.each([
    [
      "a datatype other than BYTES",
      { inputs: [{ name: "text", shape: [1], datatype: "FP32", data: [1.5] }] },
      "invalid_input_tensor",
    ],
    ["a shape that does not match the data", textTensor(["a", "b"], [3]), "invalid_input_tensor"],
    ["a two-dimensional shape", textTensor(["a", "b"], [2, 1]), "invalid_input_tensor"],
    ["a non-string element", textTensor(["fine", 42]), "invalid_input_tensor"],
    ["a nested element", textTensor(["fine", ["nested"]]), "invalid_input_tensor"],
    ["an empty tensor", textTensor([]), "invalid_input_tensor"],
    ["a blank text", textTensor(["   "]), "invalid_input_tensor"],
    ["a text over the length limit", textTensor([tooLong]), "invalid_input_tensor"],
    ["more texts than the batch limit", textTensor(tooMany), "too_many_texts"],
    [
      "an input with another name",
      { inputs: [{ name: "image", shape: [1], datatype: "BYTES", data: ["x"] }] },
      "invalid_input_tensor",
    ],
    [
      "two inputs",
      { inputs: [textTensor(["a"]).inputs[0], textTensor(["b"]).inputs[0]] },
      "invalid_input_tensor",
    ],
    ["no inputs", { inputs: [] }, "invalid_request"],
    ["a negative dimension", textTensor(["a"], [-1]), "invalid_request"],
    [
      "an unknown requested output",
      { ...textTensor(["a"]), outputs: [{ name: "logits" }] },
      "unknown_output",
    ],
    ["a body that is not an object", [1, 2, 3], "invalid_request"],
    ["a body that is not JSON", "{inputs:", "invalid_json"],
  ])("answers 400 with an error message for %s", async (_case, body, code) => {
    const res = await infer(body);
    expect(res.status).toBe(400);
    const error = res.json<{ error: unknown; code: string; request_id: string }>();
    expect(typeof error.error).toBe("string");
    expect(error.code).toBe(code);
    expect(error.request_id).toBe(res.headers["x-request-id"]);
  });

  it.each([
    ["a gzip-compressed body", { "Content-Encoding": "gzip" }, "unsupported_content_encoding"],
    [
      "a body declared as Latin-1",
      { "Content-Type": "application/json; charset=iso-8859-1" },
      "unsupported_charset",
    ],
  ])("answers 415 for %s", async (_case, headers, code) => {
    const res = await svc.request("/v2/models/sentiment/infer", {
      method: "POST",
      headers: { ...(await authorized()), ...headers },
      body: JSON.stringify(textTensor(["x"])),
    });
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({ code });
  });

  it("refuses the binary tensor extension, which the server does not advertise", async () => {
    const res = await svc.request("/v2/models/sentiment/infer", {
      method: "POST",
      headers: { ...(await authorized()), "Inference-Header-Content-Length": "10" },
      body: JSON.stringify(textTensor(["x"])),
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: "unsupported_extension" });
  });

  it("refuses a body over the size limit with 413", async () => {
    const res = await infer({ ...textTensor(["x"]), padding: "p".repeat(LIMITS.bodyLimitBytes) });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ error: expect.any(String), code: "payload_too_large" });
  });

  it("refuses a declared body type that is not JSON with 415", async () => {
    const res = await svc.request("/v2/models/sentiment/infer", {
      method: "POST",
      headers: { Authorization: `Bearer ${await svc.token()}`, "Content-Type": "text/plain" },
      body: JSON.stringify(textTensor(["x"])),
    });
    expect(res.status).toBe(415);
  });
});

describe("rate limits", () => {
  it("refuses an issuer over its limit with 429, Retry-After and the protocol's error body", async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof svc.request>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await svc.request("/v2/models/sentiment/infer", {
        method: "POST",
        headers: { Authorization: `Bearer ${await svc.token(RATE_LIMITED_ISSUER)}` },
        body: JSON.stringify(textTensor(["hello"])),
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(last?.headers["retry-after"])).toBeGreaterThan(0);
    expect(last?.json()).toMatchObject({ error: expect.any(String), code: "rate_limited" });
  });
});

describe("unknown /v2 paths", () => {
  it("answer 404 in the protocol's error format", async () => {
    const res = await svc.request("/v2/repository/index", { headers: await authorized() });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: expect.any(String), code: "not_found" });
  });
});
