import { expect, test } from "vitest";
import { RecentSamples } from "../../src/serving/recent-samples.js";

test("keeps only the most recent samples, oldest first, while counting all of them", () => {
  const samples = new RecentSamples(3);
  for (const value of [1, 2, 3, 4, 5]) samples.add(value);
  expect(samples.snapshot()).toEqual({ count: 5, sum: 15, recent: [3, 4, 5] });
});

test("returns samples in arrival order before the buffer is full", () => {
  const samples = new RecentSamples(3);
  samples.add(9);
  samples.add(8);
  expect(samples.recent()).toEqual([9, 8]);
});
