import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { TokenCacheLookup } from "../../src/asap/verified-token-cache.js";
import { parseConfig } from "../../src/config/load.js";
import { createReplayGuard, createTokenVerifier } from "../../src/server/dependencies.js";
import { asapClaims, makeKey, makeKeyRepository, removeDir, signRaw } from "../asap/fixtures.js";

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

describe("createTokenVerifier", () => {
  const key = makeKey("dev/key1");

  /** The outcome of two uses of one token, and the cache lookups they made. */
  async function twoUses(asap: Record<string, unknown>) {
    const { dir, repository } = await makeKeyRepository([key]);
    const lookups: TokenCacheLookup[] = [];
    const config = parseConfig({ asap }, {});
    const guard = createReplayGuard(config, pino({ level: "silent" }));
    const verify = createTokenVerifier(config, repository, guard, (result) => lookups.push(result));
    const now = Date.now() / 1000;
    const token = await signRaw(key, asapClaims("dev", { iat: now, nbf: now, exp: now + 60 }));
    const codes = [];
    for (let use = 0; use < 2; use++) {
      codes.push(
        await verify(token).then(
          () => "accepted",
          (error: { code: string }) => error.code,
        ),
      );
    }
    await removeDir(dir);
    return { codes, lookups };
  }

  it("refuses a reused token by default, without a cache", async () => {
    expect(await twoUses({})).toEqual({ codes: ["accepted", "token_replayed"], lookups: [] });
  });

  it("serves a reused token from the cache with replay protection off", async () => {
    expect(await twoUses({ replayProtection: false })).toEqual({
      codes: ["accepted", "accepted"],
      lookups: ["miss", "hit"],
    });
  });

  it("verifies every use afresh with tokenCacheMaxEntries 0", async () => {
    expect(await twoUses({ replayProtection: false, tokenCacheMaxEntries: 0 })).toEqual({
      codes: ["accepted", "accepted"],
      lookups: [],
    });
  });
});
