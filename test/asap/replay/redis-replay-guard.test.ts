import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AsapError } from "../../../src/asap/errors.js";
import { RedisReplayGuard, replayKey } from "../../../src/asap/replay/redis-replay-guard.js";
import { redisConnectionOptions } from "../../../src/redis/connection-options.js";
import { ThrowawayRedisServer } from "../../support/redis-server.js";
import { TEST_REDIS_URL } from "../../support/service-urls.js";
import { TcpProxy } from "../../support/tcp-proxy.js";

function inOneMinute(): number {
  return Math.floor(Date.now() / 1000) + 60;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    return error instanceof AsapError ? error.code : `unexpected ${String(error)}`;
  }
}

/** Retries until the guard answers again (it reconnects on its own, with backoff). */
async function untilAccepted(guard: RedisReplayGuard, issuer: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  let code = "";
  while (Date.now() < deadline) {
    code = await codeOf(guard.checkAndRemember(issuer, randomUUID(), inOneMinute()));
    if (code === "accepted") return code;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return code;
}

describe("RedisReplayGuard on the tests' shared Redis", () => {
  const keyPrefix = `test:replay:${randomUUID()}:`;
  const guards: RedisReplayGuard[] = [];
  let inspector: Redis;

  function newGuard(): RedisReplayGuard {
    const guard = new RedisReplayGuard(TEST_REDIS_URL, { keyPrefix });
    guards.push(guard);
    return guard;
  }

  beforeAll(() => {
    inspector = new Redis(redisConnectionOptions(TEST_REDIS_URL));
  });

  afterAll(async () => {
    await Promise.all(guards.map((guard) => guard.close()));
    const keys = await inspector.keys(`${keyPrefix}*`);
    if (keys.length > 0) await inspector.del(...keys);
    await inspector.quit();
  });

  it("accepts the first use of a jti", async () => {
    const guard = newGuard();
    expect(await codeOf(guard.checkAndRemember("svc-a", randomUUID(), inOneMinute()))).toBe(
      "accepted",
    );
  });

  it("refuses the second use of the same jti from the same issuer", async () => {
    const guard = newGuard();
    const jti = randomUUID();
    await guard.checkAndRemember("svc-a", jti, inOneMinute());
    expect(await codeOf(guard.checkAndRemember("svc-a", jti, inOneMinute()))).toBe(
      "token_replayed",
    );
  });

  it("accepts the same jti from a different issuer", async () => {
    const guard = newGuard();
    const jti = randomUUID();
    await guard.checkAndRemember("svc-a", jti, inOneMinute());
    expect(await codeOf(guard.checkAndRemember("svc-b", jti, inOneMinute()))).toBe("accepted");
  });

  it("does not confuse issuer and jti boundaries", async () => {
    const guard = newGuard();
    const suffix = randomUUID();
    await guard.checkAndRemember("svc/a", `b${suffix}`, inOneMinute());
    expect(await codeOf(guard.checkAndRemember("svc/ab", suffix, inOneMinute()))).toBe("accepted");
  });

  it("refuses on one guard a token used through another guard (two replicas)", async () => {
    const [first, second] = [newGuard(), newGuard()];
    const jti = randomUUID();
    await first.checkAndRemember("svc-a", jti, inOneMinute());
    expect(await codeOf(second.checkAndRemember("svc-a", jti, inOneMinute()))).toBe(
      "token_replayed",
    );
  });

  it("lets exactly one of many simultaneous uses of a jti through", async () => {
    const [first, second] = [newGuard(), newGuard()];
    const jti = randomUUID();
    const codes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        codeOf((i % 2 === 0 ? first : second).checkAndRemember("svc-a", jti, inOneMinute())),
      ),
    );
    expect(codes.filter((code) => code === "accepted")).toHaveLength(1);
  });

  it("lets many requests that arrive while it connects share one wait, with no listener warning", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const guard = newGuard();
      const codes = await Promise.all(
        Array.from({ length: 50 }, () =>
          codeOf(guard.checkAndRemember("svc-a", randomUUID(), inOneMinute())),
        ),
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect([new Set(codes), warnings]).toEqual([new Set(["accepted"]), []]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("stores the pair with an expiry at the given time, not later", async () => {
    const now = 1_800_000_000_000;
    const guard = new RedisReplayGuard(TEST_REDIS_URL, { keyPrefix, clock: () => now });
    guards.push(guard);
    const jti = randomUUID();
    await guard.checkAndRemember("svc-a", jti, now / 1000 + 90);
    const ttlMs = await inspector.pttl(replayKey(keyPrefix, "svc-a", jti));
    expect(ttlMs > 80_000 && ttlMs <= 90_000).toBe(true);
  });

  it("keeps nothing for a token that has already expired", async () => {
    const guard = newGuard();
    const jti = randomUUID();
    await guard.checkAndRemember("svc-a", jti, Math.floor(Date.now() / 1000) - 5);
    expect(await inspector.exists(replayKey(keyPrefix, "svc-a", jti))).toBe(0);
  });

  it("refuses a token whose expiry is not a number", async () => {
    const guard = newGuard();
    expect(await codeOf(guard.checkAndRemember("svc-a", randomUUID(), Number.NaN))).toBe(
      "invalid_claim",
    );
  });

  it("reports itself available while Redis answers", async () => {
    expect(await newGuard().isAvailable()).toBe(true);
  });
});

describe("RedisReplayGuard when Redis goes away", () => {
  let redis: ThrowawayRedisServer;
  const guards: RedisReplayGuard[] = [];

  function newGuard(url: string): RedisReplayGuard {
    const guard = new RedisReplayGuard(url, { commandTimeoutMs: 500, maxReconnectDelayMs: 200 });
    guards.push(guard);
    return guard;
  }

  beforeAll(async () => {
    redis = await ThrowawayRedisServer.start();
  });

  afterEach(async () => {
    await Promise.all(guards.splice(0).map((guard) => guard.close()));
    await redis.start();
  });

  afterAll(async () => {
    await redis.stop();
  });

  it("refuses with replay_store_unavailable while Redis is stopped", async () => {
    const guard = newGuard(redis.url);
    await untilAccepted(guard, "svc-a");
    await redis.stop();
    expect(await codeOf(guard.checkAndRemember("svc-a", randomUUID(), inOneMinute()))).toBe(
      "replay_store_unavailable",
    );
  });

  it("works again once Redis is started, without a new guard", async () => {
    const guard = newGuard(redis.url);
    await untilAccepted(guard, "svc-a");
    await redis.stop();
    await codeOf(guard.checkAndRemember("svc-a", randomUUID(), inOneMinute()));
    await redis.start();
    expect(await untilAccepted(guard, "svc-a")).toBe("accepted");
  });

  it("still refuses a replay after the connection was lost and re-opened", async () => {
    const proxy = await TcpProxy.start("127.0.0.1", redis.port);
    try {
      const guard = newGuard(`redis://127.0.0.1:${proxy.port}/0`);
      const jti = randomUUID();
      await untilAccepted(guard, "svc-a");
      await guard.checkAndRemember("svc-a", jti, inOneMinute());
      await proxy.close();
      await proxy.open();
      await untilAccepted(guard, "svc-a");
      expect(await codeOf(guard.checkAndRemember("svc-a", jti, inOneMinute()))).toBe(
        "token_replayed",
      );
    } finally {
      await proxy.close();
    }
  });

  it("refuses with replay_store_unavailable when Redis stops answering", async () => {
    const proxy = await TcpProxy.start("127.0.0.1", redis.port);
    try {
      const guard = newGuard(`redis://127.0.0.1:${proxy.port}/0`);
      await untilAccepted(guard, "svc-a");
      proxy.pause();
      expect(await codeOf(guard.checkAndRemember("svc-a", randomUUID(), inOneMinute()))).toBe(
        "replay_store_unavailable",
      );
    } finally {
      await proxy.close();
    }
  });

  it("refuses at once, without waiting for a connection, when Redis was never reachable", async () => {
    const proxy = await TcpProxy.start("127.0.0.1", redis.port);
    const url = `redis://127.0.0.1:${proxy.port}/0`;
    await proxy.close();
    const guard = newGuard(url);
    expect(await codeOf(guard.checkAndRemember("svc-a", randomUUID(), inOneMinute()))).toBe(
      "replay_store_unavailable",
    );
  });

  it("reports itself unavailable while Redis is stopped", async () => {
    const guard = newGuard(redis.url);
    await untilAccepted(guard, "svc-a");
    await redis.stop();
    expect(await guard.isAvailable()).toBe(false);
  });
});

describe("RedisReplayGuard configuration", () => {
  it("refuses a replay store URL that is not redis://", () => {
    expect(() => new RedisReplayGuard("http://127.0.0.1:6379/0")).toThrow(RangeError);
  });
});
