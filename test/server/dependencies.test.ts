import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { createReplayGuard } from "../../src/server/dependencies.js";

describe("createReplayGuard", () => {
  const logger = pino({ level: "silent" });
  const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

  it("sizes the in-memory store by asap.replayMaxEntries and fails closed when it is full", async () => {
    const guard = createReplayGuard(parseConfig({ asap: { replayMaxEntries: 2 } }, {}), logger);
    await guard?.checkAndRemember("billing", "jti-1", inAMinute());
    await guard?.checkAndRemember("search", "jti-1", inAMinute());
    await expect(guard?.checkAndRemember("billing", "jti-2", inAMinute())).rejects.toMatchObject({
      code: "replay_store_unavailable",
    });
  });

  it("has no store when replay protection is off", () => {
    expect(
      createReplayGuard(parseConfig({ asap: { replayProtection: false } }, {}), logger),
    ).toBeNull();
  });
});
