import { describe, expect, it } from "vitest";
import { takeToken } from "../../src/rate-limit/token-bucket.js";

const policy = { ratePerSecond: 2, burst: 3 };

describe("takeToken", () => {
  it("starts full and allows a burst, then refuses", () => {
    let state: ReturnType<typeof takeToken>["state"] | undefined;
    const allowed: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const decision = takeToken(state, policy, 1_000);
      allowed.push(decision.allowed);
      state = decision.state;
    }
    expect(allowed).toEqual([true, true, true, false]);
  });

  it("reports the remaining tokens and when one is available again", () => {
    const first = takeToken(undefined, policy, 0);
    expect(first.remaining).toBe(2);
    const emptied = takeToken(takeToken(first.state, policy, 0).state, policy, 0);
    const refused = takeToken(emptied.state, policy, 0);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.resetSeconds).toBe(2);
  });

  it("refills at the policy's rate, never above the burst", () => {
    const empty = { tokens: 0, updatedAtMs: 0 };
    expect(takeToken(empty, policy, 400).allowed).toBe(false);
    expect(takeToken(empty, policy, 500).allowed).toBe(true);
    expect(takeToken(empty, policy, 60_000).remaining).toBe(2);
  });

  it("does not refill when the clock goes backwards", () => {
    expect(takeToken({ tokens: 0, updatedAtMs: 10_000 }, policy, 5_000).allowed).toBe(false);
  });
});
