import { createPrivateKey } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKeyPair, KeygenError } from "../../src/asap/keygen.js";
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import { parsePrivateKeyDataUri, signAsapToken } from "../../src/asap/sign.js";
import { verifyAsapToken } from "../../src/asap/verify.js";
import { makeTempDir, removeDir } from "./fixtures.js";

let root: string;
let privateDir: string;
let publicDir: string;

beforeEach(async () => {
  root = await makeTempDir();
  privateDir = path.join(root, "keys", "private");
  publicDir = path.join(root, "keys", "public");
});

afterEach(async () => {
  await removeDir(root);
});

async function mintAndVerify(privateKey: string, kid: string, issuer: string) {
  const token = await signAsapToken({ privateKey, kid, issuer, audience: "sentiment-api" });
  return verifyAsapToken(token, {
    keyRepository: new FileKeyRepository(publicDir),
    replayGuard: new MemoryReplayGuard(),
    audience: "sentiment-api",
  });
}

describe("createKeyPair", () => {
  it("writes the private key to <privateDir>/<iss>/<name>.pem and the public key to <publicDir>/<iss>/<name>", async () => {
    const created = await createKeyPair({ issuer: "dev", name: "key1", privateDir, publicDir });
    expect([created.kid, created.alg, created.privateKeyPath, created.publicKeyPath]).toEqual([
      "dev/key1",
      "RS256",
      path.join(privateDir, "dev", "key1.pem"),
      path.join(publicDir, "dev", "key1"),
    ]);
  });

  it("makes the private key readable by its owner only", async () => {
    const created = await createKeyPair({ issuer: "dev", name: "key1", privateDir, publicDir });
    const [file, folder] = await Promise.all([
      stat(created.privateKeyPath),
      stat(path.dirname(created.privateKeyPath)),
    ]);
    expect([file.mode & 0o777, folder.mode & 0o777]).toEqual([0o600, 0o700]);
  });

  it("writes PEM files a verifier and signer can use", async () => {
    const created = await createKeyPair({ issuer: "dev", name: "key1", privateDir, publicDir });
    const pem = await readFile(created.privateKeyPath, "utf8");
    const verified = await mintAndVerify(pem, created.kid, "dev");
    const key = createPrivateKey(pem);
    expect([key.type, key.asymmetricKeyType, verified.kid]).toEqual(["private", "rsa", "dev/key1"]);
  });

  it.each(["ES256", "ES384", "ES512", "PS256", "RS512"] as const)(
    "creates a working %s key",
    async (alg) => {
      const created = await createKeyPair({
        issuer: "svc",
        name: alg.toLowerCase(),
        alg,
        privateDir,
        publicDir,
      });
      const { privateKey } = parsePrivateKeyDataUri(created.dataUri);
      const token = await signAsapToken({
        privateKey,
        kid: created.kid,
        issuer: "svc",
        audience: "a",
        alg,
      });
      const verified = await verifyAsapToken(token, {
        keyRepository: new FileKeyRepository(publicDir),
        replayGuard: null,
        audience: "a",
      });
      expect(verified.alg).toBe(alg);
    },
  );

  it("returns an ASAP_PRIVATE_KEY data URI for the key", async () => {
    const created = await createKeyPair({ issuer: "dev", name: "key1", privateDir, publicDir });
    const parsed = parsePrivateKeyDataUri(created.dataUri);
    expect(parsed.kid).toBe("dev/key1");
  });

  it("supports issuers containing slashes", async () => {
    const created = await createKeyPair({
      issuer: "micros/svc",
      name: "k1",
      privateDir,
      publicDir,
    });
    expect(created.publicKeyPath).toBe(path.join(publicDir, "micros", "svc", "k1"));
  });

  it("refuses to overwrite an existing key", async () => {
    await createKeyPair({ issuer: "dev", name: "key1", privateDir, publicDir });
    await expect(
      createKeyPair({ issuer: "dev", name: "key1", privateDir, publicDir }),
    ).rejects.toMatchObject({
      code: "key_exists",
    });
  });

  it("overwrites an existing key with force, keeping mode 0600", async () => {
    const first = await createKeyPair({ issuer: "dev", name: "key1", privateDir, publicDir });
    const before = await readFile(first.publicKeyPath, "utf8");
    const second = await createKeyPair({
      issuer: "dev",
      name: "key1",
      privateDir,
      publicDir,
      force: true,
    });
    const after = await readFile(second.publicKeyPath, "utf8");
    expect([before === after, (await stat(second.privateKeyPath)).mode & 0o777]).toEqual([
      false,
      0o600,
    ]);
  });

  it.each([
    ["dev", "../x"],
    ["dev", "a/b"],
    ["dev", ".."],
    ["../dev", "k"],
    ["dev/", "k"],
    ["", "k"],
    ["dev", ""],
  ])("refuses issuer %j with name %j", async (issuer, name) => {
    await expect(createKeyPair({ issuer, name, privateDir, publicDir })).rejects.toBeInstanceOf(
      KeygenError,
    );
  });

  it("refuses a symmetric algorithm", async () => {
    await expect(
      createKeyPair({ issuer: "dev", name: "k", alg: "HS256" as "RS256", privateDir, publicDir }),
    ).rejects.toMatchObject({ code: "unsupported_algorithm" });
  });
});
