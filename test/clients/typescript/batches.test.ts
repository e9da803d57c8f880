import { describe, expect, it } from "vitest";
import { forEachBounded, splitIntoBatches } from "../../../clients/typescript/src/batches.js";

const textsOf = (body: string) => (JSON.parse(body) as { texts: string[] }).texts;

describe("splitIntoBatches", () => {
  it("cuts the texts into consecutive batches of at most maxTexts", () => {
    const texts = Array.from({ length: 1100 }, (_, i) => `text ${i}`);
    const batches = splitIntoBatches(texts, 512, 1_048_576);
    expect(batches.map(({ start, count }) => [start, count])).toEqual([
      [0, 512],
      [512, 512],
      [1024, 76],
    ]);
    expect(batches.flatMap(({ body }) => textsOf(body))).toEqual(texts);
  });

  it("keeps each body within maxBytes, counting UTF-8 bytes and JSON escapes", () => {
    const texts = Array.from({ length: 40 }, (_, i) => `"é😀\n${i}`.repeat(5));
    const maxBytes = 300;
    const batches = splitIntoBatches(texts, 512, maxBytes);
    expect(batches.length).toBeGreaterThan(1);
    for (const { body } of batches) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxBytes);
    expect(batches.flatMap(({ body }) => textsOf(body))).toEqual(texts);
  });

  it("fills a batch up to exactly maxBytes", () => {
    // {"texts":["aaaa","bbbb"]} is 25 bytes.
    const batches = splitIntoBatches(["aaaa", "bbbb", "cccc"], 512, 25);
    expect(batches.map(({ body }) => body)).toEqual([
      '{"texts":["aaaa","bbbb"]}',
      '{"texts":["cccc"]}',
    ]);
  });

  it("sends a text too large for any batch alone, so the service answers for it", () => {
    const batches = splitIntoBatches(["a", "x".repeat(100), "b"], 512, 50);
    expect(batches.map(({ count }) => count)).toEqual([1, 1, 1]);
  });

  it("keeps lone surrogates as JSON escapes", () => {
    const [batch] = splitIntoBatches(["\uD800 lone"], 512, 1000);
    expect(batch?.body).toBe('{"texts":["\\ud800 lone"]}');
  });

  it("makes no batch of no texts", () => {
    expect(splitIntoBatches([], 512, 1000)).toEqual([]);
  });
});

describe("forEachBounded", () => {
  it("never runs more than `limit` tasks at once and runs every item", async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5 * (item % 3)));
      done.push(item);
      running -= 1;
    });
    expect([peak, done.sort()]).toEqual([3, [1, 2, 3, 4, 5, 6, 7]]);
  });

  it("throws the first failure, aborts the running tasks and starts no more", async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const outcome = forEachBounded([1, 2, 3, 4, 5], 2, (item, signal) => {
      started.push(item);
      if (item === 1) return Promise.reject(new Error("first"));
      return new Promise<void>((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted.push(item);
          reject(new Error(`aborted ${item}`));
        });
      });
    });
    await expect(outcome).rejects.toThrow("first");
    expect([started, aborted]).toEqual([[1, 2], [2]]);
  });

  it("passes the caller's abort on to the tasks", async () => {
    const controller = new AbortController();
    const outcome = forEachBounded(
      [1, 2],
      2,
      (_, signal) =>
        new Promise<void>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        ),
      controller.signal,
    );
    controller.abort(new Error("caller gave up"));
    await expect(outcome).rejects.toThrow("caller gave up");
  });
});
