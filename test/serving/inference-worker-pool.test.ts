import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InferenceWorkerPool } from "../../src/serving/inference-worker-pool.js";
import { useModelWorkspace } from "./model-fixture.js";

const workspace = useModelWorkspace();

describe("a pool of two workers", () => {
  let pool: InferenceWorkerPool;
  let readyBeforeLoad: boolean;

  beforeAll(() => {
    pool = new InferenceWorkerPool({ modelDir: workspace().modelDir, workers: 2 });
    readyBeforeLoad = pool.isReady();
  });

  afterAll(async () => {
    await pool?.close();
  });

  test("is ready only once every worker has loaded and warmed up, and reports the model", async () => {
    expect(readyBeforeLoad).toBe(false);
    const model = await pool.ready;
    expect(pool.isReady()).toBe(true);
    expect(pool.idleWorkerCount()).toBe(2);
    expect(model.directory).toBe(workspace().modelDir);
    expect(typeof model.backend).toBe("string");
    expect(model.metadata.name.length).toBeGreaterThan(0);
    expect(pool.model).toEqual(model);
  });

  test("keeps serving the old model when a reload's model fails to load", async () => {
    const served = await pool.ready;
    await expect(pool.reload(await workspace().brokenModelDir())).rejects.toMatchObject({
      code: "model_load_failed",
    });
    expect(pool.model).toEqual(served);
    expect(pool.isReady()).toBe(true);
    const { model } = await pool.run(["still served"]);
    expect(model).toEqual(served);
    expect(pool.stats()).toMatchObject({ reloadFailures: 1, size: 2 });
  });

  test("reload sends new batches to the new model and retires the old workers", async () => {
    const previous = await pool.ready;
    const newDir = await workspace().deployNewVersion("9.9.9");
    const reloaded = await pool.reload(newDir);
    expect(reloaded.metadata.version).toBe("9.9.9");
    expect(reloaded.directory).toBe(newDir);
    expect(pool.model).toEqual(reloaded);
    const { model } = await pool.run(["served by the new model"]);
    expect(model).toEqual(reloaded);
    expect(model.metadata.version).not.toBe(previous.metadata.version);
    expect(pool.stats()).toMatchObject({ reloads: 1, size: 2, idle: 2 });
  });
});

test("close fails a batch still running after the drain timeout with shutting_down", async () => {
  const pool = new InferenceWorkerPool({ modelDir: workspace().modelDir, workers: 1 });
  await pool.ready;
  const texts = Array.from({ length: 2000 }, (_, index) => `a long batch of text number ${index}`);
  const running = pool.run(texts);
  await pool.close(0);
  await expect(running).rejects.toMatchObject({ code: "shutting_down" });
  expect(pool.isReady()).toBe(false);
  await expect(pool.run(["after close"])).rejects.toMatchObject({ code: "shutting_down" });
});
