import { expect, it } from "vitest";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import { RedisReplayGuard } from "../../src/asap/replay/redis-replay-guard.js";
import { ObservedReplayGuard } from "../../src/metrics/observed-replay-guard.js";
import { freePort } from "../support/redis-server.js";

const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

it("does not count a detected replay as a store error", async () => {
  let errors = 0;
  const guard = new ObservedReplayGuard(new MemoryReplayGuard(), () => errors++);
  await guard.checkAndRemember("billing", "jti-1", inAMinute());
  await expect(guard.checkAndRemember("billing", "jti-1", inAMinute())).rejects.toMatchObject({
    code: "token_replayed",
  });
  expect(errors).toBe(0);
});

it("counts a replay store that cannot answer, and still refuses the token", async () => {
  const port = await freePort();
  const redis = new RedisReplayGuard(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 });
  let errors = 0;
  const guard = new ObservedReplayGuard(redis, () => errors++);
  try {
    await expect(guard.checkAndRemember("billing", "jti-2", inAMinute())).rejects.toMatchObject({
      code: "replay_store_unavailable",
    });
    expect(errors).toBe(1);
  } finally {
    await redis.close();
  }
});
