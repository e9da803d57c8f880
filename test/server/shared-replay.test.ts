import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpsRequest } from "../support/https-client.js";
import { freePort, ThrowawayRedisServer } from "../support/redis-server.js";
import {
  prepareServiceDir,
  spawnService,
  stopService,
  waitUntilReady,
} from "../support/service-process.js";

describe("replay protection shared through Redis by two server processes", () => {
  let redis: ThrowawayRedisServer;
  let dir: string;
  let ca: string;
  let token: () => Promise<string>;
  const services: { child: ChildProcess; url: string }[] = [];

  beforeAll(async () => {
    redis = await ThrowawayRedisServer.start();
    const prepared = await prepareServiceDir("billing");
    dir = prepared.dir;
    ca = prepared.ca;
    token = prepared.token;
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawnService(dir, {
        PORT: String(port),
        ASAP_REPLAY_STORE: redis.url,
        INFERENCE_WORKERS: "1",
        PREDICTION_LOG: "false",
      });
      services.push({ child, url: `https://localhost:${port}` });
    }
    await Promise.all(services.map((service) => waitUntilReady(service.url, ca)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => stopService(service.child)));
    await redis?.stop();
  });

  const whoami = (index: number, bearer: string) =>
    httpsRequest(`${services[index]?.url}/v1/whoami`, {
      ca,
      headers: { Authorization: `Bearer ${bearer}` },
    });

  it("refuses on one process a token already used on the other", async () => {
    const bearer = await token();
    expect((await whoami(0, bearer)).status).toBe(200);
    const replay = await whoami(1, bearer);
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: "token_replayed" });
  });

  it("fails closed with 503 while Redis is down and recovers without a restart", async () => {
    await redis.stop();
    const refused = await whoami(0, await token());
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ error: "replay_store_unavailable" });
    expect(refused.headers["retry-after"]).toBeDefined();
    const health = await httpsRequest(`${services[0]?.url}/healthz`, { ca });
    expect(health.status).toBe(200);

    await redis.start();
    // Each process reconnects on its own backoff: wait until both answer again.
    for (const index of [0, 1]) {
      let status = 0;
      for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
        status = (await whoami(index, await token())).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    }
    const bearer = await token();
    expect((await whoami(1, bearer)).status).toBe(200);
    expect((await whoami(0, bearer)).status).toBe(401);
  });
});
