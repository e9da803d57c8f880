import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ChainedKeyRepository } from "../../../src/asap/keys/chained-repository.js";
import { FileKeyRepository } from "../../../src/asap/keys/file-repository.js";
import { HttpsKeyRepository } from "../../../src/asap/keys/https-repository.js";
import {
  createTestTls,
  type KeyServer,
  startKeyServer,
  type TestTls,
} from "../../support/key-server.js";
import { codeOf, makeKey, makeTempDir, removeDir, writePublicKeys } from "../fixtures.js";

const key = makeKey("dev/key1", "RS256");

let tls: TestTls;
let dir: string;
let emptyDir: string;
let primary: KeyServer;
let secondary: KeyServer;

beforeAll(async () => {
  tls = await createTestTls();
  dir = await makeTempDir();
  emptyDir = await makeTempDir();
  await writePublicKeys(dir, [key]);
});

afterAll(async () => {
  await removeDir(dir);
  await removeDir(emptyDir);
});

afterEach(async () => {
  await Promise.all([primary?.close(), secondary?.close()]);
});

async function startBoth() {
  primary = await startKeyServer({ dir, tls, maxAgeSeconds: 60 });
  secondary = await startKeyServer({ dir, tls, maxAgeSeconds: 60 });
  // Generous: a healthy server must answer well within it on a loaded machine.
  const options = { ca: tls.cert, timeoutMs: 2000 };
  return new ChainedKeyRepository([
    new HttpsKeyRepository(primary.url, options),
    new HttpsKeyRepository(secondary.url, options),
  ]);
}

describe("ChainedKeyRepository", () => {
  it("uses the first server when it answers", async () => {
    const chain = await startBoth();
    await chain.getPublicKey("dev/key1", "RS256");
    expect([primary.totalRequests(), secondary.totalRequests()]).toEqual([1, 0]);
  });

  it.each(["error", "reset", "slow"] as const)(
    "falls back to the second server when the first is %s",
    async (behaviour) => {
      const chain = await startBoth();
      primary.behaviour = behaviour;
      const code = await codeOf(chain.getPublicKey("dev/key1", "RS256"));
      expect([code, primary.totalRequests(), secondary.totalRequests()]).toEqual([
        "accepted",
        1,
        1,
      ]);
    },
  );

  it("falls back when the first server is not listening", async () => {
    const chain = await startBoth();
    await primary.close();
    expect(await codeOf(chain.getPublicKey("dev/key1", "RS256"))).toBe("accepted");
  });

  it("does not fall back on a 404: the key does not exist", async () => {
    const chain = await startBoth();
    const code = await codeOf(chain.getPublicKey("dev/missing", "RS256"));
    expect([code, secondary.totalRequests()]).toEqual(["unknown_key", 0]);
  });

  it("does not fall back on an invalid key", async () => {
    const chain = await startBoth();
    primary.contentType = "text/plain";
    const code = await codeOf(chain.getPublicKey("dev/key1", "RS256"));
    expect([code, secondary.totalRequests()]).toEqual(["invalid_key", 0]);
  });

  it("reports key_repository_unavailable when every server is down", async () => {
    const chain = await startBoth();
    primary.behaviour = "error";
    secondary.behaviour = "reset";
    expect(await codeOf(chain.getPublicKey("dev/key1", "RS256"))).toBe(
      "key_repository_unavailable",
    );
  });

  it("goes straight to the second server while the first is backing off", async () => {
    const chain = await startBoth();
    primary.behaviour = "slow";
    await chain.getPublicKey("dev/key1", "RS256");
    await chain.getPublicKey("dev/key1", "RS256");
    expect([primary.totalRequests(), secondary.totalRequests()]).toEqual([1, 1]);
  });

  it("stops at a directory that does not hold the key", async () => {
    secondary = await startKeyServer({ dir, tls });
    const chain = new ChainedKeyRepository([
      new FileKeyRepository(emptyDir),
      new HttpsKeyRepository(secondary.url, { ca: tls.cert }),
    ]);
    const code = await codeOf(chain.getPublicKey("dev/key1", "RS256"));
    expect([code, secondary.totalRequests()]).toEqual(["unknown_key", 0]);
  });

  it("refuses to be built without members", () => {
    expect(() => new ChainedKeyRepository([])).toThrow(TypeError);
  });
});
