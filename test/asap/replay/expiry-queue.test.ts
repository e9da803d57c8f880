import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExpiryQueue } from "../../../src/asap/replay/expiry-queue.js";

describe("ExpiryQueue", () => {
  it("pops keys in order of expiry", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000 })), (times) => {
        const queue = new ExpiryQueue();
        for (const [index, time] of times.entries()) queue.push(time, `${time}:${index}`);
        const popped: number[] = [];
        for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
          popped.push(Number(key.split(":")[0]));
        }
        expect(popped).toEqual([...times].sort((a, b) => a - b));
      }),
    );
  });

  it("reports the earliest expiry without removing it", () => {
    const queue = new ExpiryQueue();
    queue.push(5, "a");
    queue.push(3, "b");
    expect([queue.peekTime(), queue.size]).toEqual([3, 2]);
  });
});
