import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ScoredTexts } from "../../src/serving/dynamic-batcher.js";
import { ServingEngine } from "../../src/serving/serving-engine.js";
import { isServingError } from "../../src/serving/serving-error.js";
import { SAMPLE_TEXTS, useModelWorkspace } from "./model-fixture.js";

const workspace = useModelWorkspace();

describe("an engine from start to close", () => {
  let engine: ServingEngine;
  let scoredBeforeLoad: Promise<unknown>;
  let readyBeforeLoad: boolean;

  beforeAll(() => {
    engine = new ServingEngine({ modelDir: workspace().modelDir, workers: 1 });
    readyBeforeLoad = engine.isReady();
    scoredBeforeLoad = engine.score(["too early"]);
    scoredBeforeLoad.catch(() => {});
  });

  afterAll(async () => {
    await engine?.close();
  });

  test("refuses requests with model_not_ready until the model has loaded", async () => {
    expect(readyBeforeLoad).toBe(false);
    await expect(scoredBeforeLoad).rejects.toMatchObject({ code: "model_not_ready" });
    await engine.ready;
    expect(engine.isReady()).toBe(true);
    await expect(engine.score(["now"])).resolves.toMatchObject({ model: engine.model });
  });

  test("close lets queued and in-flight requests finish, then refuses new ones", async () => {
    await engine.ready;
    const pending = Array.from({ length: 50 }, (_, index) => engine.score([`drain me ${index}`]));
    const closing = engine.close();
    expect(engine.isReady()).toBe(false);
    await expect(engine.score(["too late"])).rejects.toMatchObject({ code: "shutting_down" });
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(50);
    await closing;
    expect(engine.stats().batching).toMatchObject({ queuedTexts: 0, inFlightBatches: 0 });
  });
});

test("fails every request of a crashed worker's batch with inference_worker_crashed and serves later ones", async () => {
  const engine = new ServingEngine({
    modelDir: workspace().modelDir,
    workers: 1,
    deadlineMs: 60_000,
  });
  try {
    await engine.ready;
    engine.crashWorkersOnNextBatchForTesting();
    const outcomes = await Promise.allSettled(SAMPLE_TEXTS.map((text) => engine.score([text])));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      if (outcome.status === "rejected") {
        expect(outcome.reason).toMatchObject({ code: "inference_worker_crashed" });
      }
    }
    // The queue waits for the replacement worker.
    const later = await engine.score(["after the crash"]);
    expect(later.predictions).toHaveLength(1);
    expect(engine.stats().workers).toMatchObject({ workerCrashes: 1, workersReplaced: 1 });
  } finally {
    await engine.close();
  }
});

test("reloads a new model under concurrent load without failing a request", async () => {
  const engine = new ServingEngine({
    modelDir: workspace().modelDir,
    workers: 2,
    deadlineMs: 60_000,
  });
  try {
    const first = await engine.ready;
    const newDir = await workspace().deployNewVersion("2.0.0-reload");
    const results: ScoredTexts[] = [];
    const failures: unknown[] = [];
    let reloaded = false;
    let afterReload = 0;
    // Eight callers keep requests in flight until 40 requests have finished after the switch.
    const caller = async (id: number) => {
      for (let n = 0; !reloaded || afterReload < 40; n++) {
        try {
          results.push(
            await engine.score([`caller ${id} request ${n}`, SAMPLE_TEXTS[n % 10] ?? ""]),
          );
        } catch (error) {
          failures.push(error);
        }
        if (reloaded) afterReload++;
        // A short pause leaves CPU for the new workers to load while requests stay in flight.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const callers = Array.from({ length: 8 }, (_, id) => caller(id));
    const reloading = engine.reload(newDir).then((model) => {
      reloaded = true;
      return model;
    });
    const [model] = await Promise.all([reloading, ...callers]);
    expect(failures).toEqual([]);
    expect(model.metadata.version).toBe("2.0.0-reload");
    expect(engine.model?.metadata.version).toBe("2.0.0-reload");
    const versions = new Set(results.map((r) => r.model.metadata.version));
    expect(versions).toEqual(new Set([first.metadata.version, "2.0.0-reload"]));
    for (const result of results) expect(result.predictions).toHaveLength(2);
    expect(engine.stats().workers).toMatchObject({ reloads: 1, size: 2, idle: 2 });
  } finally {
    await engine.close();
  }
});

test("stays not ready and says why when the first model fails to load", async () => {
  const engine = new ServingEngine({ modelDir: await workspace().brokenModelDir(), workers: 1 });
  try {
    const failure = await engine.ready.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isServingError(failure, "model_load_failed")).toBe(true);
    expect(String((failure as Error).message)).toContain("weights.bin");
    expect(engine.isReady()).toBe(false);
    await expect(engine.score(["no model"])).rejects.toMatchObject({ code: "model_not_ready" });
  } finally {
    await engine.close();
  }
});
