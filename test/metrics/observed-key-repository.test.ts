import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AsapError } from "../../src/asap/errors.js";
import { createKeyPair } from "../../src/asap/keygen.js";
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";
import { HttpsKeyRepository } from "../../src/asap/keys/https-repository.js";
import {
  keyLookupResultOf,
  ObservedKeyRepository,
} from "../../src/metrics/observed-key-repository.js";
import type { KeyLookupResult } from "../../src/metrics/service-metrics.js";
import { freePort } from "../support/redis-server.js";

let dir: string;
let kid: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "observed-keys-"));
  const created = await createKeyPair({
    issuer: "billing",
    name: "k1",
    alg: "ES256",
    privateDir: join(dir, "private"),
    publicDir: join(dir, "public"),
  });
  kid = created.kid;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function observedFileRepository() {
  const results: KeyLookupResult[] = [];
  const repository = new ObservedKeyRepository(new FileKeyRepository(join(dir, "public")), (r) =>
    results.push(r),
  );
  return { repository, results };
}

it("reports found and returns the key", async () => {
  const { repository, results } = observedFileRepository();
  const key = await repository.getPublicKey(kid, "ES256");
  expect(key.type).toBe("public");
  expect(results).toEqual(["found"]);
});

it("reports unknown_key and rethrows the repository's error", async () => {
  const { repository, results } = observedFileRepository();
  await expect(repository.getPublicKey("billing/nope", "ES256")).rejects.toMatchObject({
    code: "unknown_key",
  });
  expect(results).toEqual(["unknown_key"]);
});

it("reports invalid_kid for a kid that tries to leave the key directory", async () => {
  const { repository, results } = observedFileRepository();
  await expect(repository.getPublicKey("../etc/passwd", "ES256")).rejects.toBeInstanceOf(AsapError);
  expect(results).toEqual(["invalid_kid"]);
});

it("reports unavailable when the key server cannot be reached", async () => {
  const port = await freePort();
  const results: KeyLookupResult[] = [];
  const repository = new ObservedKeyRepository(
    new HttpsKeyRepository(`https://127.0.0.1:${port}/keys/`, { timeoutMs: 2000 }),
    (r) => results.push(r),
  );
  await expect(repository.getPublicKey(kid, "ES256")).rejects.toMatchObject({
    code: "key_repository_unavailable",
  });
  expect(results).toEqual(["unavailable"]);
});

it("maps errors that are not ASAP refusals to error", () => {
  expect(keyLookupResultOf(new Error("disk on fire"))).toBe("error");
  expect(keyLookupResultOf(new AsapError("token_expired", "x"))).toBe("error");
});
