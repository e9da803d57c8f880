import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../../src/asap/keys/bounded-map.js";

describe("BoundedMap", () => {
  it("forgets the oldest entry when full", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    map.set("c", 3);
    expect([map.get("a"), map.get("b"), map.get("c"), map.size]).toEqual([undefined, 2, 3, 2]);
  });

  it("treats a rewritten key as the newest", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    map.set("a", 10);
    map.set("c", 3);
    expect([map.get("a"), map.get("b")]).toEqual([10, undefined]);
  });

  it("stays bounded under many distinct keys", () => {
    const map = new BoundedMap<number, number>(100);
    for (let i = 0; i < 10_000; i++) map.set(i, i);
    expect(map.size).toBe(100);
  });
});
