import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileKeyRepository } from "../../../src/asap/keys/file-repository.js";
import { codeOf, makeKey, makeTempDir, removeDir, writePublicKeys } from "../fixtures.js";

const rsa = makeKey("dev/key1", "RS256");
const ec = makeKey("dev/ec1", "ES256");

let root: string;
let dir: string;
let now: number;
const clock = () => now;

beforeEach(async () => {
  root = await makeTempDir();
  dir = path.join(root, "public");
  await mkdir(dir);
  await writePublicKeys(dir, [rsa, ec]);
  now = 1_000_000_000;
});

afterEach(async () => {
  await removeDir(root);
});

describe("FileKeyRepository", () => {
  it("reads a PEM public key at <dir>/<kid>", async () => {
    const key = await new FileKeyRepository(dir).getPublicKey("dev/key1", "RS256");
    expect([key.type, key.asymmetricKeyType]).toEqual(["public", "rsa"]);
  });

  it("reads an EC key for ES256", async () => {
    const key = await new FileKeyRepository(dir).getPublicKey("dev/ec1", "ES256");
    expect(key.asymmetricKeyType).toBe("ec");
  });

  it("shares one read of a kid between concurrent first lookups", async () => {
    const repository = new FileKeyRepository(dir, { clock });
    const keys = await Promise.all(
      Array.from({ length: 20 }, () => repository.getPublicKey("dev/key1", "RS256")),
    );
    expect(new Set(keys).size).toBe(1);
  });

  it("imports a PEM once per kid and algorithm", async () => {
    const repository = new FileKeyRepository(dir, { clock });
    const first = await repository.getPublicKey("dev/key1", "RS256");
    expect(await repository.getPublicKey("dev/key1", "RS256")).toBe(first);
  });

  it("keeps the imported key when an unchanged file is read again", async () => {
    const repository = new FileKeyRepository(dir, { clock, cacheSeconds: 10 });
    const first = await repository.getPublicKey("dev/key1", "RS256");
    now += 11_000;
    expect(await repository.getPublicKey("dev/key1", "RS256")).toBe(first);
  });

  it("answers a missing file with unknown_key", async () => {
    expect(await codeOf(new FileKeyRepository(dir).getPublicKey("dev/missing", "RS256"))).toBe(
      "unknown_key",
    );
  });

  it("answers a missing directory with unknown_key", async () => {
    const repository = new FileKeyRepository(path.join(root, "nowhere"));
    expect(await codeOf(repository.getPublicKey("dev/key1", "RS256"))).toBe("unknown_key");
  });

  it("answers a kid naming a directory with unknown_key", async () => {
    await mkdir(path.join(dir, "dev", "folder"));
    expect(await codeOf(new FileKeyRepository(dir).getPublicKey("dev/folder", "RS256"))).toBe(
      "unknown_key",
    );
  });

  it("answers a file that is not a PEM public key with invalid_key", async () => {
    await writeFile(path.join(dir, "dev", "junk"), "hello");
    expect(await codeOf(new FileKeyRepository(dir).getPublicKey("dev/junk", "RS256"))).toBe(
      "invalid_key",
    );
  });

  it("answers a private key published by mistake with invalid_key", async () => {
    const pem = rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    await writeFile(path.join(dir, "dev", "private"), pem);
    expect(await codeOf(new FileKeyRepository(dir).getPublicKey("dev/private", "RS256"))).toBe(
      "invalid_key",
    );
  });

  it("answers an EC key asked for RS256 with invalid_key", async () => {
    expect(await codeOf(new FileKeyRepository(dir).getPublicKey("dev/ec1", "RS256"))).toBe(
      "invalid_key",
    );
  });

  it("answers an oversized file with invalid_key", async () => {
    await writeFile(path.join(dir, "dev", "huge"), "x".repeat(20_000));
    const repository = new FileKeyRepository(dir, { maxBytes: 16 * 1024 });
    expect(await codeOf(repository.getPublicKey("dev/huge", "RS256"))).toBe("invalid_key");
  });

  it("refuses a traversal kid with invalid_kid", async () => {
    await writeFile(path.join(root, "outside"), rsa.publicPem);
    expect(await codeOf(new FileKeyRepository(dir).getPublicKey("../outside", "RS256"))).toBe(
      "invalid_kid",
    );
  });

  it("refuses a symlink that leads outside the directory", async () => {
    await writeFile(path.join(root, "outside"), rsa.publicPem);
    await symlink(path.join(root, "outside"), path.join(dir, "dev", "link"));
    expect(await codeOf(new FileKeyRepository(dir).getPublicKey("dev/link", "RS256"))).toBe(
      "invalid_key",
    );
  });

  it("keeps serving a key for the cache period after its file is removed", async () => {
    const repository = new FileKeyRepository(dir, { clock, cacheSeconds: 10 });
    await repository.getPublicKey("dev/key1", "RS256");
    await rm(path.join(dir, "dev", "key1"));
    now += 9_000;
    expect(await codeOf(repository.getPublicKey("dev/key1", "RS256"))).toBe("accepted");
  });

  it("picks up a replaced key file after the cache period", async () => {
    const repository = new FileKeyRepository(dir, { clock, cacheSeconds: 10 });
    await repository.getPublicKey("dev/key1", "RS256");
    await writeFile(path.join(dir, "dev", "key1"), ec.publicPem);
    now += 11_000;
    const key = await repository.getPublicKey("dev/key1", "ES256");
    expect(key.asymmetricKeyType).toBe("ec");
  });

  it("notices a newly published key after the negative cache period", async () => {
    const repository = new FileKeyRepository(dir, { clock, cacheSeconds: 10 });
    const before = await codeOf(repository.getPublicKey("dev/new", "RS256"));
    await writeFile(path.join(dir, "dev", "new"), rsa.publicPem);
    now += 11_000;
    const after = await codeOf(repository.getPublicKey("dev/new", "RS256"));
    expect([before, after]).toEqual(["unknown_key", "accepted"]);
  });
});
