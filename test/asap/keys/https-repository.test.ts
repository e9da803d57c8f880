import { rename } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AsapError } from "../../../src/asap/errors.js";
import {
  HttpsKeyRepository,
  type HttpsKeyRepositoryOptions,
} from "../../../src/asap/keys/https-repository.js";
import {
  createTestTls,
  type KeyServer,
  startKeyServer,
  type TestTls,
} from "../../support/key-server.js";
import { codeOf, makeKey, makeTempDir, removeDir, writePublicKeys } from "../fixtures.js";

const key = makeKey("dev/key1", "RS256");
const ecKey = makeKey("dev/ec1", "ES256");

let tls: TestTls;
let dir: string;
let server: KeyServer;
let now: number;
const clock = () => now;

beforeAll(async () => {
  tls = await createTestTls();
  dir = await makeTempDir();
  await writePublicKeys(dir, [key, ecKey]);
  await writePublicKeys(dir, [{ ...key, kid: "dev/not-a-key", publicPem: "hello\n" }]);
});

afterAll(async () => {
  await removeDir(dir);
});

afterEach(async () => {
  await server?.close();
});

async function start(maxAgeSeconds?: number): Promise<KeyServer> {
  server = await startKeyServer({ dir, tls, maxAgeSeconds });
  now = 1_000_000_000;
  return server;
}

function repositoryFor(target: KeyServer, options: HttpsKeyRepositoryOptions = {}) {
  return new HttpsKeyRepository(target.url, { ca: tls.cert, clock, timeoutMs: 5000, ...options });
}

/** The outcome code of one lookup through a fresh repository for the running server. */
function lookupCode(kid: string, alg: string, options: HttpsKeyRepositoryOptions = {}) {
  return codeOf(repositoryFor(server, options).getPublicKey(kid, alg));
}

describe("HttpsKeyRepository", () => {
  it("fetches a key over HTTPS and caches it", async () => {
    await start(60);
    const repository = repositoryFor(server);
    const first = await repository.getPublicKey("dev/key1", "RS256");
    const second = await repository.getPublicKey("dev/key1", "RS256");
    expect([first.type, second === first, server.requestsFor("/dev/key1")]).toEqual([
      "public",
      true,
      1,
    ]);
  });

  it("serves the cached key until max-age and refetches after it", async () => {
    await start(60);
    const repository = repositoryFor(server);
    await repository.getPublicKey("dev/key1", "RS256");
    now += 59_000;
    await repository.getPublicKey("dev/key1", "RS256");
    const beforeExpiry = server.requestsFor("/dev/key1");
    now += 2_000;
    await repository.getPublicKey("dev/key1", "RS256");
    expect([beforeExpiry, server.requestsFor("/dev/key1")]).toEqual([1, 2]);
  });

  it("caps a very long max-age", async () => {
    await start(10_000_000);
    const repository = repositoryFor(server, { maxMaxAgeSeconds: 100 });
    await repository.getPublicKey("dev/key1", "RS256");
    now += 101_000;
    await repository.getPublicKey("dev/key1", "RS256");
    expect(server.requestsFor("/dev/key1")).toBe(2);
  });

  it("uses the default lifetime when there is no Cache-Control", async () => {
    await start(undefined);
    const repository = repositoryFor(server, { defaultMaxAgeSeconds: 300 });
    await repository.getPublicKey("dev/key1", "RS256");
    now += 299_000;
    await repository.getPublicKey("dev/key1", "RS256");
    const within = server.requestsFor("/dev/key1");
    now += 2_000;
    await repository.getPublicKey("dev/key1", "RS256");
    expect([within, server.requestsFor("/dev/key1")]).toEqual([1, 2]);
  });

  it("keeps one fetched PEM for several algorithms", async () => {
    await start(60);
    const repository = repositoryFor(server);
    const rs = await repository.getPublicKey("dev/key1", "RS256");
    const ps = await repository.getPublicKey("dev/key1", "PS256");
    // One parsed key serves both: the algorithm's padding is chosen at verification.
    expect([rs.asymmetricKeyType, ps === rs, server.requestsFor("/dev/key1")]).toEqual([
      "rsa",
      true,
      1,
    ]);
  });

  it("coalesces concurrent fetches of one kid into one request", async () => {
    await start(60);
    const repository = repositoryFor(server);
    const keys = await Promise.all(
      Array.from({ length: 20 }, () => repository.getPublicKey("dev/key1", "RS256")),
    );
    expect([keys.length, new Set(keys).size, server.requestsFor("/dev/key1")]).toEqual([20, 1, 1]);
  });

  it("answers 404 with unknown_key", async () => {
    await start(60);
    expect(await lookupCode("dev/missing", "RS256")).toBe("unknown_key");
  });

  it("remembers a 404 for the negative cache period", async () => {
    await start(60);
    const repository = repositoryFor(server, { negativeCacheSeconds: 30 });
    for (let i = 0; i < 5; i++) await codeOf(repository.getPublicKey("dev/missing", "RS256"));
    const within = server.requestsFor("/dev/missing");
    now += 31_000;
    await codeOf(repository.getPublicKey("dev/missing", "RS256"));
    expect([within, server.requestsFor("/dev/missing")]).toEqual([1, 2]);
  });

  it("asks the key server once per distinct kid during a flood of repeated unknown kids", async () => {
    await start(60);
    const repository = repositoryFor(server);
    const kids = Array.from({ length: 25 }, (_, i) => `dev/unknown-${i}`);
    const attempts = Array.from({ length: 10 }, () => kids).flat();
    const codes = await Promise.all(
      attempts.map((kid) => codeOf(repository.getPublicKey(kid, "RS256"))),
    );
    for (const kid of kids) await codeOf(repository.getPublicKey(kid, "RS256"));
    expect([new Set(codes), server.totalRequests()]).toEqual([new Set(["unknown_key"]), 25]);
  });

  it("sends at most maxConcurrentFetches requests for a burst of distinct kids", async () => {
    await start(60);
    server.behaviour = "slow";
    server.slowMs = 500;
    const repository = repositoryFor(server, { maxConcurrentFetches: 4 });
    const kids = Array.from({ length: 30 }, (_, i) => `dev/made-up-${i}`);
    const codes = await Promise.all(
      kids.map((kid) => codeOf(repository.getPublicKey(kid, "RS256"))),
    );
    expect([
      server.totalRequests(),
      codes.filter((c) => c === "key_repository_unavailable").length,
    ]).toEqual([4, 26]);
  });

  it("keeps a cached key through a flood of unknown kids larger than the cache", async () => {
    await start(60);
    const repository = repositoryFor(server, { maxCachedKids: 5 });
    const key = await repository.getPublicKey("dev/key1", "RS256");
    for (let i = 0; i < 20; i++) await codeOf(repository.getPublicKey(`dev/unknown-${i}`, "RS256"));
    expect([
      await repository.getPublicKey("dev/key1", "RS256"),
      server.requestsFor("/dev/key1"),
    ]).toEqual([key, 1]);
  });

  it("stops serving a cached key once the server says it is gone", async () => {
    await start(60);
    const repository = repositoryFor(server);
    await repository.getPublicKey("dev/ec1", "ES256");
    const removed = `${dir}/dev/ec1`;
    await rename(removed, `${removed}.bak`);
    now += 61_000;
    const code = await codeOf(repository.getPublicKey("dev/ec1", "ES256"));
    await rename(`${removed}.bak`, removed);
    expect(code).toBe("unknown_key");
  });

  it("answers a 5xx with key_repository_unavailable", async () => {
    await start(60);
    server.behaviour = "error";
    expect(await lookupCode("dev/key1", "RS256")).toBe("key_repository_unavailable");
  });

  it("answers a dropped connection with key_repository_unavailable", async () => {
    await start(60);
    server.behaviour = "reset";
    expect(await lookupCode("dev/key1", "RS256")).toBe("key_repository_unavailable");
  });

  it("answers a server that is not listening with key_repository_unavailable", async () => {
    await start(60);
    const repository = repositoryFor(server);
    await server.close();
    expect(await codeOf(repository.getPublicKey("dev/key1", "RS256"))).toBe(
      "key_repository_unavailable",
    );
  });

  it("gives up on a slow server after the timeout", async () => {
    await start(60);
    server.behaviour = "slow";
    server.slowMs = 20_000;
    expect(await lookupCode("dev/key1", "RS256", { timeoutMs: 300 })).toBe(
      "key_repository_unavailable",
    );
  });

  it("refuses a key server whose certificate it does not trust", async () => {
    await start(60);
    const untrusting = new HttpsKeyRepository(server.url, { clock, timeoutMs: 5000 });
    const code = await codeOf(untrusting.getPublicKey("dev/key1", "RS256"));
    expect([code, server.totalRequests()]).toEqual(["key_repository_unavailable", 0]);
  });

  it("stops asking an unreachable server for a while, then asks again", async () => {
    await start(60);
    server.behaviour = "error";
    const repository = repositoryFor(server, { unavailableBackoffSeconds: 5 });
    await codeOf(repository.getPublicKey("dev/key1", "RS256"));
    const code = await codeOf(repository.getPublicKey("dev/key1", "RS256"));
    const during = server.totalRequests();
    server.behaviour = "serve";
    now += 6_000;
    const after = await codeOf(repository.getPublicKey("dev/key1", "RS256"));
    expect([code, during, after, server.totalRequests()]).toEqual([
      "key_repository_unavailable",
      1,
      "accepted",
      2,
    ]);
  });

  it("keeps serving a cached key after max-age while the server is down", async () => {
    await start(60);
    const repository = repositoryFor(server);
    const warm = await repository.getPublicKey("dev/key1", "RS256");
    server.behaviour = "error";
    now += 3_600_000;
    const stale = await repository.getPublicKey("dev/key1", "RS256");
    expect([stale === warm, server.requestsFor("/dev/key1")]).toEqual([true, 2]);
  });

  it("stops serving a stale key once maxStaleSeconds have passed", async () => {
    await start(60);
    const repository = repositoryFor(server, { maxStaleSeconds: 600 });
    await repository.getPublicKey("dev/key1", "RS256");
    server.behaviour = "reset";
    now += 661_000;
    expect(await codeOf(repository.getPublicKey("dev/key1", "RS256"))).toBe(
      "key_repository_unavailable",
    );
  });

  it("refuses a response with another content type as invalid_key", async () => {
    await start(60);
    server.contentType = "text/html";
    expect(await lookupCode("dev/key1", "RS256")).toBe("invalid_key");
  });

  it("accepts the PEM content type with parameters", async () => {
    await start(60);
    server.contentType = "Application/X-PEM-File; charset=utf-8";
    expect(await lookupCode("dev/key1", "RS256")).toBe("accepted");
  });

  it("refuses an oversized response as invalid_key", async () => {
    await start(60);
    server.paddingBytes = 20_000;
    expect(await lookupCode("dev/key1", "RS256", { maxBytes: 16 * 1024 })).toBe("invalid_key");
  });

  it("refuses a body that is not a public key PEM as invalid_key", async () => {
    await start(60);
    expect(await lookupCode("dev/not-a-key", "RS256")).toBe("invalid_key");
  });

  it("remembers a body that is not a key for the negative cache period, not for max-age", async () => {
    await start(3600);
    const repository = repositoryFor(server, { negativeCacheSeconds: 30 });
    const first = await codeOf(repository.getPublicKey("dev/not-a-key", "RS256"));
    now += 29_000;
    const cached = await codeOf(repository.getPublicKey("dev/not-a-key", "RS256"));
    const requestsWhileCached = server.requestsFor("/dev/not-a-key");
    // The key server recovers: it now serves a real key under that kid.
    await writePublicKeys(dir, [{ ...key, kid: "dev/not-a-key" }]);
    now += 2_000;
    const recovered = await repository.getPublicKey("dev/not-a-key", "RS256").then(
      (found) => found.type,
      () => "refused",
    );
    await writePublicKeys(dir, [{ ...key, kid: "dev/not-a-key", publicPem: "hello\n" }]);
    expect([first, cached, requestsWhileCached, recovered]).toEqual([
      "invalid_key",
      "invalid_key",
      1,
      "public",
    ]);
  });

  it("refuses an EC key requested for RS256 as invalid_key", async () => {
    await start(60);
    expect(await lookupCode("dev/ec1", "RS256")).toBe("invalid_key");
  });

  it("refuses a traversal kid without contacting the server", async () => {
    await start(60);
    const code = await codeOf(repositoryFor(server).getPublicKey("dev/../../etc/passwd", "RS256"));
    expect([code, server.totalRequests()]).toEqual(["invalid_kid", 0]);
  });

  it("fetches keys below a base path", async () => {
    await start(60);
    const repository = new HttpsKeyRepository(`${server.url}dev`, { ca: tls.cert, clock });
    // Base path `/dev/` + kid `dev/key1` -> `/dev/dev/key1`, which does not exist.
    expect([
      await codeOf(repository.getPublicKey("dev/key1", "RS256")),
      server.requestsFor("/dev/dev/key1"),
    ]).toEqual(["unknown_key", 1]);
  });

  it("refuses a plain http base URL", () => {
    expect(() => new HttpsKeyRepository("http://127.0.0.1:1/")).toThrow(TypeError);
  });

  it("reports errors as AsapError carrying the kid", async () => {
    await start(60);
    const error = await repositoryFor(server)
      .getPublicKey("dev/missing", "RS256")
      .catch((e: unknown) => e);
    expect([error instanceof AsapError, (error as AsapError).kid]).toEqual([true, "dev/missing"]);
  });
});
