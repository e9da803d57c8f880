import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureDevKeyPair } from "../../src/server/dev-keys.js";

describe("ensureDevKeyPair", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("creates one pair when two services start at once in a fresh checkout, and neither fails", async () => {
    dir = await mkdtemp(join(tmpdir(), "dev-keys-"));
    const settings = {
      publicDir: join(dir, "public"),
      privateDir: join(dir, "private"),
      issuer: "dev",
    };
    const results = await Promise.all([ensureDevKeyPair(settings), ensureDevKeyPair(settings)]);
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    expect(await readdir(join(dir, "public", "dev"))).toEqual(["default"]);
    expect(await ensureDevKeyPair(settings)).toBeNull();
  });

  it("still refuses to start over a private key left without its public key", async () => {
    dir = await mkdtemp(join(tmpdir(), "dev-keys-"));
    await mkdir(join(dir, "private", "dev"), { recursive: true });
    await writeFile(join(dir, "private", "dev", "default.pem"), "left by a crash");
    const settings = {
      publicDir: join(dir, "public"),
      privateDir: join(dir, "private"),
      issuer: "dev",
    };
    await expect(ensureDevKeyPair(settings)).rejects.toThrow(/already exists/);
  });
});
