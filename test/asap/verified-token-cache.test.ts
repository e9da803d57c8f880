import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";
import { HttpsKeyRepository } from "../../src/asap/keys/https-repository.js";
import type { PublicKeyRepository } from "../../src/asap/keys/repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import {
  type CachingAsapVerifierOptions,
  createCachingAsapVerifier,
  type TokenCacheLookup,
  VerifiedTokenCache,
} from "../../src/asap/verified-token-cache.js";
import { createAsapVerifier, verifyAsapToken } from "../../src/asap/verify.js";
import {
  createTestTls,
  type KeyServer,
  startKeyServer,
  type TestTls,
} from "../support/key-server.js";
import {
  AUDIENCE,
  asapClaims,
  codeOf,
  makeKey,
  makeTempDir,
  NOW_MS,
  NOW_SECONDS,
  removeDir,
  signRaw,
  type TestKey,
  writePublicKeys,
} from "./fixtures.js";

const devKey = makeKey("dev/key1", "RS256");
const otherKey = makeKey("other/key1", "RS256");
// Same kid as devKey, another private key: what a rotated (replaced) key looks like.
const replacementKey = makeKey("dev/key1", "RS256", "replacement");

// Every repository and verifier here reads this clock, so time moves for all of them at once.
let now: number;
const clock = () => now;
const KEY_FILE_CACHE_SECONDS = 10;

let dir: string;
let repository: FileKeyRepository;
let lookups: TokenCacheLookup[];

beforeEach(async () => {
  now = NOW_MS;
  lookups = [];
  dir = await makeTempDir();
  await writePublicKeys(dir, [devKey, otherKey]);
  repository = new FileKeyRepository(dir, { clock, cacheSeconds: KEY_FILE_CACHE_SECONDS });
});

afterEach(async () => {
  await removeDir(dir);
});

function verifier(
  overrides: Partial<CachingAsapVerifierOptions> = {},
  cache = new VerifiedTokenCache(),
) {
  return createCachingAsapVerifier({
    keyRepository: repository,
    replayGuard: null,
    audience: AUDIENCE,
    clock,
    tokenCache: cache,
    onCacheLookup: (result) => lookups.push(result),
    ...overrides,
  });
}

function token(key: TestKey = devKey, overrides: Record<string, unknown> = {}) {
  return signRaw(key, asapClaims(key.kid.split("/")[0] ?? "", overrides));
}

/** Moves every clock `seconds` past the fixture's "now". */
function at(seconds: number): void {
  now = NOW_MS + seconds * 1000;
}

describe("a reused token with replay protection off", () => {
  it("is verified once, then found in the cache with the same claims", async () => {
    const verify = verifier();
    const reused = await token();
    const first = await verify(reused);
    at(1);
    const second = await verify(reused);
    expect(second).toBe(first);
    expect(second).toMatchObject({ iss: "dev", kid: "dev/key1", alg: "RS256" });
    expect(lookups).toEqual(["miss", "hit"]);
  });

  it("is refused as token_replayed when replay protection is on (no cache in that mode)", async () => {
    const verify = createAsapVerifier({
      keyRepository: repository,
      replayGuard: new MemoryReplayGuard({ clock }),
      audience: AUDIENCE,
      clock,
    });
    const reused = await token();
    expect([await codeOf(verify(reused)), await codeOf(verify(reused))]).toEqual([
      "accepted",
      "token_replayed",
    ]);
  });

  it("cannot be cached with a replay guard: the cache would accept what the guard refuses", () => {
    const options = {
      keyRepository: repository,
      replayGuard: new MemoryReplayGuard({ clock }),
      audience: AUDIENCE,
      tokenCache: new VerifiedTokenCache(),
    };
    expect(() =>
      createCachingAsapVerifier(options as unknown as CachingAsapVerifierOptions),
    ).toThrow(TypeError);
  });

  it("is accepted up to exp + leeway and refused as token_expired after it", async () => {
    const verify = verifier({ leewaySeconds: 30 });
    const reused = await token(devKey, { exp: NOW_SECONDS + 60 });
    const codes = [];
    for (const second of [0, 59, 90, 91]) {
      at(second);
      codes.push(await codeOf(verify(reused)));
    }
    expect(codes).toEqual(["accepted", "accepted", "accepted", "token_expired"]);
    expect(lookups).toEqual(["miss", "hit", "hit", "miss"]);
  });

  it("is refused as unknown_key once its PEM is deleted and the key cache notices", async () => {
    const cache = new VerifiedTokenCache();
    const verify = verifier({}, cache);
    const reused = await token();
    expect(await codeOf(verify(reused))).toBe("accepted");
    await rm(path.join(dir, "dev", "key1"));
    // Within the file cache period the repository still serves the key, to fresh checks too.
    at(KEY_FILE_CACHE_SECONDS - 1);
    expect(await codeOf(verify(reused))).toBe("accepted");
    at(KEY_FILE_CACHE_SECONDS);
    expect(await codeOf(verify(reused))).toBe("unknown_key");
    expect(await codeOf(verify(reused))).toBe("unknown_key");
    expect(lookups).toEqual(["miss", "hit", "miss", "miss"]);
    expect(cache.size).toBe(0);
  });

  it("is refused as invalid_signature once its kid's key is replaced by another", async () => {
    const verify = verifier();
    const reused = await token();
    expect(await codeOf(verify(reused))).toBe("accepted");
    await writePublicKeys(dir, [replacementKey]);
    at(KEY_FILE_CACHE_SECONDS);
    expect(await codeOf(verify(reused))).toBe("invalid_signature");
    expect(lookups).toEqual(["miss", "miss"]);
  });

  it("stays cached while the key file is re-read unchanged", async () => {
    const verify = verifier();
    const reused = await token();
    for (const second of [0, KEY_FILE_CACHE_SECONDS, 2 * KEY_FILE_CACHE_SECONDS]) {
      at(second);
      expect(await codeOf(verify(reused))).toBe("accepted");
    }
    expect(lookups).toEqual(["miss", "hit", "hit"]);
  });
});

describe("the cache never accepts what a fresh verification refuses", () => {
  it("refuses a token for another audience on every use and never caches it", async () => {
    const cache = new VerifiedTokenCache();
    const verify = verifier({}, cache);
    const elsewhere = await token(devKey, { aud: "another-api" });
    expect([await codeOf(verify(elsewhere)), await codeOf(verify(elsewhere))]).toEqual([
      "invalid_audience",
      "invalid_audience",
    ]);
    expect(cache.size).toBe(0);
  });

  it("refuses a cached token to a verifier for another audience", async () => {
    const cache = new VerifiedTokenCache();
    const reused = await token();
    expect(await codeOf(verifier({}, cache)(reused))).toBe("accepted");
    const forOtherApi = verifier({ audience: "another-api" }, cache);
    expect(await codeOf(forOtherApi(reused))).toBe("invalid_audience");
  });

  it("refuses a cached token once its issuer is no longer allowed", async () => {
    const cache = new VerifiedTokenCache();
    const reused = await token();
    expect(await codeOf(verifier({ validIssuers: ["dev", "other"] }, cache)(reused))).toBe(
      "accepted",
    );
    const narrowed = verifier({ validIssuers: ["other"] }, cache);
    expect([await codeOf(narrowed(reused)), await codeOf(narrowed(reused))]).toEqual([
      "issuer_not_allowed",
      "issuer_not_allowed",
    ]);
  });

  it("refuses an expired token on first use and never caches it", async () => {
    const cache = new VerifiedTokenCache();
    const verify = verifier({}, cache);
    at(200);
    expect(await codeOf(verify(await token(devKey, { exp: NOW_SECONDS + 60 })))).toBe(
      "token_expired",
    );
    expect(cache.size).toBe(0);
  });

  it("refuses a cached token's claims with another signature (a different token)", async () => {
    const verify = verifier();
    const reused = await token();
    expect(await codeOf(verify(reused))).toBe("accepted");
    const payloadEnd = reused.lastIndexOf(".");
    const forged = await signRaw(
      replacementKey,
      JSON.parse(
        Buffer.from(reused.slice(reused.indexOf(".") + 1, payloadEnd), "base64url").toString(),
      ),
    );
    expect(await codeOf(verify(forged))).toBe("invalid_signature");
  });

  it("refuses a token that is not a key's signature with the normal codes", async () => {
    const verify = verifier();
    expect(await codeOf(verify(""))).toBe("missing_token");
    expect(await codeOf(verify("x".repeat(9000)))).toBe("token_too_large");
    expect(await codeOf(verify("not.a.jwt"))).toBe("malformed_token");
    expect(await codeOf(verify("not.a.jwt"))).toBe("malformed_token");
  });

  it("hands out claims no request can change for the next", async () => {
    const verify = verifier();
    const reused = await token(devKey, { aud: [AUDIENCE, "another-api"] });
    const claims = await verify(reused);
    expect(() => {
      (claims as { iss: string }).iss = "someone-else";
    }).toThrow(TypeError);
    expect(() => (claims.aud as string[]).push("x")).toThrow(TypeError);
    expect((await verify(reused)).iss).toBe("dev");
  });
});

describe("the cache against random tokens", () => {
  it("gives a mutated token the very outcome of a fresh verification, its original cached", async () => {
    const verify = verifier();
    const original = await token();
    const fresh = (each: string) =>
      codeOf(
        verifyAsapToken(each, {
          keyRepository: repository,
          replayGuard: null,
          audience: AUDIENCE,
          clock,
        }),
      );
    const unit = fc.constantFrom(
      ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=".split(""),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(), unit, async (position, character) => {
        const index = position % original.length;
        const mutated = original.slice(0, index) + character + original.slice(index + 1);
        expect(await codeOf(verify(original))).toBe("accepted");
        expect(await codeOf(verify(mutated))).toBe(await fresh(mutated));
      }),
      { numRuns: 300 },
    );
    expect(lookups.filter((each) => each === "hit").length).toBeGreaterThanOrEqual(299);
  });
});

describe("VerifiedTokenCache", () => {
  it("holds at most maxEntries tokens, forgetting the oldest first", async () => {
    const cache = new VerifiedTokenCache(2);
    const verify = verifier({}, cache);
    const [first, second, third] = await Promise.all([token(), token(), token()]);
    for (const each of [first, second, third, third, second, first]) await verify(each ?? "");
    expect(cache.size).toBe(2);
    expect(lookups).toEqual(["miss", "miss", "miss", "hit", "hit", "miss"]);
  });

  it("refuses a size below one (0 means no cache: the service builds none)", () => {
    expect(() => new VerifiedTokenCache(0)).toThrow(RangeError);
  });
});

describe("with keys from an HTTPS key server", () => {
  const MAX_AGE_SECONDS = 60;
  let tls: TestTls;
  let server: KeyServer;
  let serverDir: string;
  let httpsRepository: PublicKeyRepository;

  beforeAll(async () => {
    tls = await createTestTls();
  });

  beforeEach(async () => {
    serverDir = await makeTempDir();
    await writePublicKeys(serverDir, [devKey]);
    server = await startKeyServer({ dir: serverDir, tls, maxAgeSeconds: MAX_AGE_SECONDS });
    httpsRepository = new HttpsKeyRepository(server.url, { ca: tls.cert, clock, timeoutMs: 5000 });
  });

  afterEach(async () => {
    await server.close();
    await removeDir(serverDir);
  });

  it("serves a reused token from the cache without asking the key server again", async () => {
    const verify = verifier({ keyRepository: httpsRepository });
    const reused = await token();
    for (const second of [0, 1, 2]) {
      at(second);
      expect(await codeOf(verify(reused))).toBe("accepted");
    }
    expect(lookups).toEqual(["miss", "hit", "hit"]);
    expect(server.requestsFor("/dev/key1")).toBe(1);
  });

  it("refuses a reused token once the server stops publishing its key and max-age passes", async () => {
    const verify = verifier({ keyRepository: httpsRepository });
    const reused = await token();
    expect(await codeOf(verify(reused))).toBe("accepted");
    await rm(path.join(serverDir, "dev", "key1"));
    at(MAX_AGE_SECONDS - 1);
    expect(await codeOf(verify(reused))).toBe("accepted");
    at(MAX_AGE_SECONDS);
    expect(await codeOf(verify(reused))).toBe("unknown_key");
    expect(lookups).toEqual(["miss", "hit", "miss"]);
  });

  it("refuses a reused token once the server publishes another key under its kid", async () => {
    const verify = verifier({ keyRepository: httpsRepository });
    const reused = await token();
    expect(await codeOf(verify(reused))).toBe("accepted");
    await writeFile(path.join(serverDir, "dev", "key1"), replacementKey.publicPem);
    at(MAX_AGE_SECONDS);
    expect(await codeOf(verify(reused))).toBe("invalid_signature");
  });
});
