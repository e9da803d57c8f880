import { describe, expect, it } from "vitest";
import type { TrainingExample } from "../../src/model/training-data.js";
import { balanceClasses, holdOut, shuffled, withoutLeaks } from "../../src/model/training-data.js";

const example = (text: string, target: number, weight = 1): TrainingExample => ({
  text,
  target,
  weight,
  origin: "test",
});

describe("balanceClasses", () => {
  it("gives negatives and positives the same total weight and leaves neutrals alone", () => {
    const balanced = balanceClasses([
      example("a", 0),
      example("b", 1),
      example("c", 1),
      example("d", 1, 2),
      example("e", 0.5, 3),
    ]);
    const total = (t: number) =>
      balanced.filter((e) => e.target === t).reduce((a, e) => a + e.weight, 0);
    expect(total(0)).toBeCloseTo(total(1), 10);
    expect(total(0) + total(1)).toBeCloseTo(5, 10);
    expect(balanced[4]?.weight).toBe(3);
  });
});

describe("holdOut", () => {
  it("splits into a held-out part of the asked size and the rest, reproducibly", () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const [held, rest] = holdOut(items, 5, 3);
    expect(held).toHaveLength(5);
    expect([...held, ...rest].sort((a, b) => a - b)).toEqual(items);
    expect(holdOut(items, 5, 3)[0]).toEqual(held);
  });
});

describe("shuffled", () => {
  it("returns a permutation without changing its input", () => {
    const items = [1, 2, 3, 4, 5, 6];
    const out = shuffled(items, 1);
    expect([...out].sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("withoutLeaks", () => {
  it("drops training texts whose normalised form appears in validation", () => {
    const train = [example("Hello World", 1), example("other", 0)];
    const kept = withoutLeaks(train, [example("hello   world", 1)], (t) =>
      t.toLowerCase().split(/\s+/).join(" "),
    );
    expect(kept.map((e) => e.text)).toEqual(["other"]);
  });
});
