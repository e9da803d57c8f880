// The service on a 3-class model folder (built by the test fixture), with each label rule, and
// the move from the shipped binary folder to a 3-class one (and to a broken one) by reload.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  batchSentimentResponseSchema,
  sentimentResponseSchema,
} from "../../../src/http/schemas.js";
import { labelForScore } from "../../../src/model/labels.js";
import { DEFAULT_THRESHOLDS } from "../../../src/model/metadata.js";
import { writeThreeClassModel } from "../../model/three-class-fixture.js";
import {
  LEGACY_BINARY_MODEL_DIR,
  startTestService,
  type TestService,
} from "../../support/service.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "three-class-http-"));
  modelDir = join(root, "three-class");
  await writeThreeClassModel(modelDir);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function post(svc: TestService, path: string, body: unknown) {
  const token = await svc.token();
  return svc.request(path, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function batch(svc: TestService, texts: string[]) {
  const res = await post(svc, "/v1/sentiment/batch", { texts });
  expect(res.status).toBe(200);
  return batchSentimentResponseSchema.parse(res.json()).results;
}

const logged = (lines: string[]) =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>);

/** Texts with only emoji, only URLs or mentions, no word, or thousands of characters. */
const AWKWARD_TEXTS = [
  "😀😀😀 👍🏽 🔥",
  "http://example.com https://t.co/abc",
  "@someone @other",
  "?!?!....",
  "\u0000 \ud800",
  "love ".repeat(999),
  "😡".repeat(5000),
];

describe("a 3-class model with the default label rule (model)", () => {
  let svc: TestService;
  const lines: string[] = [];

  beforeAll(async () => {
    svc = await startTestService({ model: { dir: modelDir } }, { logLines: lines });
  });
  afterAll(async () => {
    await svc?.service.stop();
  });

  it("answers the three-way label with probabilities that sum to 1", async () => {
    const res = await post(svc, "/v1/sentiment", { text: "I love this, best day" });
    expect(res.status).toBe(200);
    const body = sentimentResponseSchema.parse(res.json());
    expect(body.label).toBe("POSITIVE");
    const { negative, neutral, positive } = body.probabilities;
    expect(Math.abs(negative + neutral + positive - 1)).toBeLessThan(1e-6);
    expect(body.score).toBeCloseTo(positive / (positive + negative), 9);
  });

  it("gives NEGATIVE, NEUTRAL and POSITIVE as the most probable class, never against the score", async () => {
    const results = await batch(svc, ["I hate this, awful", "the train leaves at 9", "love it"]);
    expect(results.map((r) => r.label)).toEqual(["NEGATIVE", "NEUTRAL", "POSITIVE"]);
    for (const r of results) {
      const { negative, neutral, positive } = r.probabilities;
      const most = Math.max(negative, neutral, positive);
      expect(r.probabilities[r.label.toLowerCase() as "negative"]).toBe(most);
      if (r.label === "POSITIVE") expect(r.score).toBeGreaterThan(0.5);
      if (r.label === "NEGATIVE") expect(r.score).toBeLessThan(0.5);
    }
  });

  it("gives a valid three-way answer for emoji, URLs, no words and thousands of characters", async () => {
    for (const r of await batch(svc, AWKWARD_TEXTS)) {
      const { negative, neutral, positive } = r.probabilities;
      expect(Math.abs(negative + neutral + positive - 1)).toBeLessThan(1e-6);
      expect(["NEGATIVE", "NEUTRAL", "POSITIVE"]).toContain(r.label);
    }
  });

  it("exposes the classes and the label rule on /v1/models", async () => {
    const res = await svc.request("/v1/models", {
      headers: { Authorization: `Bearer ${await svc.token()}` },
    });
    const [model] = res.json<{ models: Record<string, unknown>[] }>().models;
    expect(model).toMatchObject({
      name: "three-class-fixture",
      classes: ["NEGATIVE", "NEUTRAL", "POSITIVE"],
      labelRule: "model",
    });
  });

  it("logs the folder and the rule at start", () => {
    const line = logged(lines).find((l) => l.label_rule !== undefined);
    expect(line).toMatchObject({ dir: modelDir, label_rule: "model" });
    expect(line?.msg).toMatch(/3-class model/);
  });

  it("keeps serving the model when a reload points at a folder whose metadata does not match", async () => {
    const bad = join(root, "bad");
    await writeThreeClassModel(bad, { classes: null, version: "9.9.9" });
    await expect(svc.service.reloadModel(bad)).rejects.toMatchObject({
      code: "model_load_failed",
    });
    const [r] = await batch(svc, ["love it"]);
    expect(r?.label).toBe("POSITIVE");
    expect(r?.probabilities.neutral).toBeGreaterThan(0);
  });
});

describe("a 3-class model with LABEL_RULE=thresholds", () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({
      model: { dir: modelDir, labelRule: "thresholds", negativeBelow: 0.3, positiveAbove: 0.8 },
    });
  });
  afterAll(async () => {
    await svc?.service.stop();
  });

  it("labels from the score with the configured thresholds", async () => {
    const texts = ["I hate this, awful", "the train leaves at 9", "love it", "so sad today"];
    const results = await batch(svc, [...texts, ...AWKWARD_TEXTS]);
    for (const r of results) {
      expect(r.label).toBe(labelForScore(r.score, { negativeBelow: 0.3, positiveAbove: 0.8 }));
    }
  });

  it("says so on /v1/models, with the thresholds in use", async () => {
    const res = await svc.request("/v1/models/three-class-fixture", {
      headers: { Authorization: `Bearer ${await svc.token()}` },
    });
    expect(res.json()).toMatchObject({
      labelRule: "thresholds",
      labelThresholds: { negativeBelow: 0.3, positiveAbove: 0.8 },
      thresholds: DEFAULT_THRESHOLDS,
    });
  });
});

describe("a binary (legacy) model folder", () => {
  let svc: TestService;
  const lines: string[] = [];

  beforeAll(async () => {
    svc = await startTestService({ model: { dir: LEGACY_BINARY_MODEL_DIR } }, { logLines: lines });
  });
  afterAll(async () => {
    await svc?.service.stop();
  });

  it("starts with a warning naming the folder and the thresholds rule", () => {
    const line = logged(lines).find((l) => l.label_rule !== undefined);
    expect(line).toMatchObject({ level: 40, label_rule: "thresholds" });
    expect(String(line?.dir)).toMatch(/sentiment-boe-binary$/);
    expect(line?.msg).toMatch(/binary \(legacy\) model folder/);
  });

  it("switches to a 3-class folder on reload, and its labels to the model rule", async () => {
    const before = await batch(svc, ["the train leaves at 9"]);
    expect(before[0]?.probabilities.neutral).toBe(0);
    const model = await svc.service.reloadModel(modelDir);
    expect(model).toMatchObject({ labelRule: "model" });
    const [after] = await batch(svc, ["the train leaves at 9"]);
    expect(after?.label).toBe("NEUTRAL");
    expect(after?.probabilities.neutral).toBeGreaterThan(0.5);
    const line = logged(lines).findLast((l) => l.label_rule !== undefined);
    expect(line).toMatchObject({ dir: modelDir, label_rule: "model" });
  });
});
