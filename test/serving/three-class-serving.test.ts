// A 3-class model through the worker threads and the batcher: the predictions (probabilities
// included) arrive exactly as the model computes them in-process, for each label rule.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { loadSentimentModel, type SentimentModel } from "../../src/model/inference.js";
import { ServingEngine } from "../../src/serving/serving-engine.js";
import { writeThreeClassModel } from "../model/three-class-fixture.js";
import { SAMPLE_TEXTS } from "./model-fixture.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "three-class-serving-"));
  modelDir = join(root, "model");
  await writeThreeClassModel(modelDir);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.each(["model", "thresholds"] as const)("label rule %s", (labelRule) => {
  let engine: ServingEngine;
  let reference: SentimentModel;

  beforeAll(async () => {
    engine = new ServingEngine({ modelDir, workers: 2, labelRule, backend: "wasm" });
    reference = await loadSentimentModel(modelDir, { backend: "wasm", labelRule });
    await engine.ready;
  });
  afterAll(async () => {
    reference?.dispose();
    await engine?.close();
  });

  test("reports the rule and the classes of the served model", () => {
    expect(engine.model).toMatchObject({
      labelRule,
      thresholds: reference.thresholds,
      metadata: { classes: ["NEGATIVE", "NEUTRAL", "POSITIVE"] },
    });
  });

  test("delivers labels, scores and probabilities as the model computes them, across batches", async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `${SAMPLE_TEXTS[i % 10]} ${i % 7}`);
    const requests = Array.from({ length: 20 }, (_, r) => texts.slice(r * 10, r * 10 + 10));
    const scored = await Promise.all(requests.map((batch) => engine.score(batch)));
    const expected = await reference.predict(texts);
    expect(scored.flatMap((s) => s.predictions)).toEqual(expected);
  });
});
