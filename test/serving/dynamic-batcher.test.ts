import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  loadSentimentModel,
  type Prediction,
  type SentimentModel,
} from "../../src/model/inference.js";
import {
  DynamicBatcher,
  type DynamicBatcherOptions,
  MIN_SPLIT_BATCH,
} from "../../src/serving/dynamic-batcher.js";
import { InferenceWorkerPool } from "../../src/serving/inference-worker-pool.js";
import { SAMPLE_TEXTS, useModelWorkspace } from "./model-fixture.js";

const LIMITS: DynamicBatcherOptions = {
  maxBatchSize: 32,
  maxDelayMs: 2,
  maxQueuedTexts: 4096,
  deadlineMs: 60_000,
};

/** Distinct texts, so a result delivered to the wrong caller would show. */
function distinctTexts(count: number, prefix: string): string[] {
  return Array.from(
    { length: count },
    (_, index) =>
      `${SAMPLE_TEXTS[index % SAMPLE_TEXTS.length]} ${prefix} ${"!".repeat(index % 3)} ${index}`,
  );
}

const workspace = useModelWorkspace();
let reference: SentimentModel;

beforeAll(async () => {
  reference = await loadSentimentModel(workspace().modelDir);
});

afterAll(() => {
  reference?.dispose();
});

/** Checks that batched predictions match the in-process model's for the same texts. */
async function expectReferencePredictions(
  predictions: readonly Prediction[],
  texts: readonly string[],
): Promise<void> {
  const expected = await reference.predict(texts);
  expect(predictions.map((p) => p.label)).toEqual(expected.map((p) => p.label));
  predictions.forEach((prediction, index) => {
    expect(Math.abs(prediction.score - (expected[index]?.score ?? Number.NaN))).toBeLessThan(1e-6);
  });
}

describe("with two workers", () => {
  let pool: InferenceWorkerPool;
  let batcher: DynamicBatcher;

  beforeAll(async () => {
    pool = new InferenceWorkerPool({ modelDir: workspace().modelDir, workers: 2 });
    await pool.ready;
    batcher = new DynamicBatcher(pool, LIMITS);
  });

  afterAll(async () => {
    await batcher?.close();
    await pool?.close();
  });

  test("returns every concurrent caller its own predictions in input order", async () => {
    const requests = Array.from({ length: 120 }, (_, caller) =>
      distinctTexts(1 + (caller % 4), `caller${caller}`),
    );
    const served = await Promise.all(requests.map((texts) => batcher.score(texts)));
    for (const [caller, texts] of requests.entries()) {
      const actual = served[caller]?.predictions ?? [];
      expect(actual).toHaveLength(texts.length);
      await expectReferencePredictions(actual, texts);
    }
  });

  test("gathers concurrent single-text calls into batches of several texts", async () => {
    const before = batcher.stats().batches;
    const texts = distinctTexts(64, "gather");
    await Promise.all(texts.map((text) => batcher.score([text])));
    const stats = batcher.stats();
    expect(stats.batches - before).toBeLessThan(64);
    expect(Math.max(...Object.keys(stats.batchSizeCounts).map(Number))).toBeGreaterThan(1);
  });

  test("splits a request larger than the batch size and reassembles it in order", async () => {
    const texts = distinctTexts(100, "split");
    const before = batcher.stats().batches;
    const { predictions } = await batcher.score(texts);
    await expectReferencePredictions(predictions, texts);
    expect(batcher.stats().batches - before).toBeGreaterThanOrEqual(Math.ceil(100 / 32));
    expect(
      Math.max(...Object.keys(batcher.stats().batchSizeCounts).map(Number)),
    ).toBeLessThanOrEqual(32);
  });

  test("sends a lone request at once when every worker is idle, however long maxDelayMs is", async () => {
    const patient = new DynamicBatcher(pool, { ...LIMITS, maxDelayMs: 600_000 });
    const { predictions } = await patient.score(["nobody else is coming"]);
    expect(predictions).toHaveLength(1);
    await patient.close();
  });

  test("holds a partial batch while another worker is busy and sends it once it is full", async () => {
    const patient = new DynamicBatcher(pool, { ...LIMITS, maxBatchSize: 4, maxDelayMs: 600_000 });
    const busy = pool.run(distinctTexts(5000, "keeps one worker busy"));
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const scored = [];
    for (const text of distinctTexts(3, "held")) {
      scored.push(patient.score([text]));
      await nextTurn();
    }
    expect(patient.stats()).toMatchObject({ batches: 0, queuedTexts: 3 });
    scored.push(patient.score(["the fourth text fills the batch"]));
    await Promise.all(scored);
    expect(patient.stats().batchSizeCounts).toEqual({ 4: 1 });
    await busy;
    await patient.close();
  });

  test("sends a few texts queued together to one idle worker, and spreads many over both", async () => {
    const fresh = new DynamicBatcher(pool, LIMITS);
    // Texts queued in one event-loop turn are flushed together.
    await Promise.all(distinctTexts(MIN_SPLIT_BATCH, "few").map((text) => fresh.score([text])));
    expect(fresh.stats().batchSizeCounts).toEqual({ [MIN_SPLIT_BATCH]: 1 });
    const many = 4 * MIN_SPLIT_BATCH;
    await Promise.all(distinctTexts(many, "many").map((text) => fresh.score([text])));
    expect(fresh.stats().batchSizeCounts).toEqual({
      [MIN_SPLIT_BATCH]: 1,
      [many / 2]: 2,
    });
    await fresh.close();
  });

  test("reports the model that scored the texts", async () => {
    const { model } = await batcher.score(["hello there"]);
    expect(model).toEqual(pool.model);
    expect(model.metadata.name).toBe(reference.metadata.name);
  });

  test("scores any Unicode the same as the model does in-process", async () => {
    const texts = [
      "emoji 😀🔥",
      "RTL مرحبا بالعالم",
      "combining e\u0301\u0301",
      "lone \ud800 surrogate",
      "NUL \u0000 byte",
      "",
    ];
    const { predictions } = await batcher.score(texts);
    await expectReferencePredictions(predictions, texts);
  });

  test("refuses an empty request", async () => {
    await expect(batcher.score([])).rejects.toThrow(RangeError);
  });
});

describe("with one worker", () => {
  let pool: InferenceWorkerPool;

  beforeAll(async () => {
    pool = new InferenceWorkerPool({ modelDir: workspace().modelDir, workers: 1 });
    await pool.ready;
  });

  afterAll(async () => {
    await pool?.close();
  });

  test("refuses at once with overloaded and a retry-after when the queue is full, then recovers", async () => {
    const batcher = new DynamicBatcher(pool, { ...LIMITS, maxQueuedTexts: 4 });
    // Nothing is dispatched before the next event-loop turn, so these three calls meet in the queue.
    const first = batcher.score(distinctTexts(3, "first"));
    const refused = batcher.score(distinctTexts(2, "refused"));
    await expect(refused).rejects.toMatchObject({ code: "overloaded" });
    await expect(refused).rejects.toSatisfy(
      (error: { retryAfterSeconds?: number }) => (error.retryAfterSeconds ?? 0) >= 1,
    );
    await expect(first).resolves.toMatchObject({ predictions: expect.any(Array) });
    const later = await batcher.score(distinctTexts(4, "later"));
    expect(later.predictions).toHaveLength(4);
    expect(batcher.stats().rejectedOverloaded).toBe(1);
    await batcher.close();
  });

  test("fails a request with deadline_exceeded and never sends its expired texts to the model", async () => {
    const batcher = new DynamicBatcher(pool, LIMITS);
    const long = batcher.score(distinctTexts(512, "long"));
    const late = batcher.score(["queued behind sixteen batches"], { deadlineMs: 1 });
    await expect(late).rejects.toMatchObject({ code: "deadline_exceeded" });
    await long;
    const stats = batcher.stats();
    expect(stats.batchedTexts).toBe(512);
    expect(stats.deadlineExceeded).toBe(1);
    expect(stats.queuedTexts).toBe(0);
    await batcher.close();
  });

  test("rejects options that would make it refuse or drop everything", () => {
    for (const bad of [
      { maxBatchSize: 0 },
      { maxQueuedTexts: 0 },
      { deadlineMs: 0 },
      { maxDelayMs: -1 },
    ]) {
      expect(() => new DynamicBatcher(pool, { ...LIMITS, ...bad })).toThrow(RangeError);
    }
  });

  test("fails queued requests with shutting_down when closing outlasts the drain timeout", async () => {
    const batcher = new DynamicBatcher(pool, LIMITS);
    const queued = batcher.score(distinctTexts(512, "drain"));
    const closed = batcher.close(0);
    await expect(queued).rejects.toMatchObject({ code: "shutting_down" });
    await closed;
    await expect(batcher.score(["after close"])).rejects.toMatchObject({ code: "shutting_down" });
  });
});
