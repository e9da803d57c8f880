import { describe, expect, it } from "vitest";
import { MemoryReplayGuard } from "../../../src/asap/replay/memory-replay-guard.js";
import { codeOf } from "../fixtures.js";

const START = 1_800_000_000;

function guardAt(options: { maxEntries?: number } = {}) {
  let nowSeconds = START;
  const guard = new MemoryReplayGuard({ ...options, clock: () => nowSeconds * 1000 });
  return {
    guard,
    advance: (seconds: number) => {
      nowSeconds += seconds;
    },
  };
}

describe("MemoryReplayGuard", () => {
  it("accepts a jti the first time", async () => {
    const { guard } = guardAt();
    expect(await codeOf(guard.checkAndRemember("dev", "j1", START + 90))).toBe("accepted");
  });

  it("refuses the same jti from the same issuer as token_replayed", async () => {
    const { guard } = guardAt();
    await guard.checkAndRemember("dev", "j1", START + 90);
    expect(await codeOf(guard.checkAndRemember("dev", "j1", START + 90))).toBe("token_replayed");
  });

  it("accepts the same jti from another issuer", async () => {
    const { guard } = guardAt();
    await guard.checkAndRemember("dev", "j1", START + 90);
    expect(await codeOf(guard.checkAndRemember("other", "j1", START + 90))).toBe("accepted");
  });

  it("does not confuse issuer/jti pairs that concatenate alike", async () => {
    const { guard } = guardAt();
    await guard.checkAndRemember("ab", "c", START + 90);
    expect(await codeOf(guard.checkAndRemember("a", "bc", START + 90))).toBe("accepted");
  });

  it("still refuses the replay at the expiry second", async () => {
    const { guard, advance } = guardAt();
    await guard.checkAndRemember("dev", "j1", START + 90);
    advance(90);
    expect(await codeOf(guard.checkAndRemember("dev", "j1", START + 90))).toBe("token_replayed");
  });

  it("forgets a jti once its expiry has passed", async () => {
    const { guard, advance } = guardAt();
    await guard.checkAndRemember("dev", "j1", START + 90);
    advance(91);
    await guard.checkAndRemember("dev", "other", START + 200);
    expect(guard.size).toBe(1);
  });

  it("does not store a token that has already expired", async () => {
    const { guard } = guardAt();
    await guard.checkAndRemember("dev", "j1", START - 1);
    expect(guard.size).toBe(0);
  });

  it("fails closed with replay_store_unavailable when full of unexpired jtis", async () => {
    const { guard } = guardAt({ maxEntries: 3 });
    for (const jti of ["a", "b", "c"]) await guard.checkAndRemember("dev", jti, START + 90);
    const code = await codeOf(guard.checkAndRemember("dev", "d", START + 90));
    const stillRemembered = await codeOf(guard.checkAndRemember("dev", "a", START + 90));
    expect([code, stillRemembered]).toEqual(["replay_store_unavailable", "token_replayed"]);
  });

  it("accepts new tokens again once full entries expire", async () => {
    const { guard, advance } = guardAt({ maxEntries: 3 });
    for (const jti of ["a", "b", "c"]) await guard.checkAndRemember("dev", jti, START + 90);
    advance(91);
    expect(await codeOf(guard.checkAndRemember("dev", "d", START + 200))).toBe("accepted");
  });

  it("counts every issuer's jtis against one capacity and forgets each as it expires", async () => {
    const { guard, advance } = guardAt({ maxEntries: 3 });
    await guard.checkAndRemember("billing", "a", START + 10);
    await guard.checkAndRemember("search", "a", START + 20);
    await guard.checkAndRemember("search", "b", START + 30);
    const full = await codeOf(guard.checkAndRemember("reports", "a", START + 30));
    advance(11);
    const afterFirstExpiry = await codeOf(guard.checkAndRemember("reports", "a", START + 40));
    const sizeThen = guard.size;
    advance(30);
    const searchReplayAfterExpiry = await codeOf(guard.checkAndRemember("search", "b", START + 90));
    expect([full, afterFirstExpiry, sizeThen, searchReplayAfterExpiry, guard.size]).toEqual([
      "replay_store_unavailable",
      "accepted",
      3,
      "accepted",
      1,
    ]);
  });

  it("stays bounded under a flood of unique tokens", async () => {
    const { guard, advance } = guardAt({ maxEntries: 1_000 });
    const codes = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const code = await codeOf(guard.checkAndRemember("flood", `jti-${i}`, START + i / 100 + 60));
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (i % 100 === 0) advance(1);
    }
    expect([
      guard.size <= 1_000,
      codes.get("accepted") !== undefined,
      codes.get("replay_store_unavailable") !== undefined,
    ]).toEqual([true, true, true]);
  });

  it("refuses a non-positive maxEntries", () => {
    expect(() => new MemoryReplayGuard({ maxEntries: 0 })).toThrow(RangeError);
  });
});
