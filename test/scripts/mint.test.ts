import { utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyPair } from "../../src/asap/keygen.js";
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import { verifyAsapToken } from "../../src/asap/verify.js";
import { makeTempDir, removeDir } from "../asap/fixtures.js";
import { runScript, runScriptUntilReaderLeaves } from "./run-script.js";

let cwd: string;
let dataUri: string;

beforeAll(async () => {
  cwd = await makeTempDir("mint-script-");
  const dirs = {
    privateDir: path.join(cwd, "keys/private"),
    publicDir: path.join(cwd, "keys/public"),
  };
  const older = await createKeyPair({ issuer: "dev", name: "old", ...dirs });
  await utimes(older.privateKeyPath, new Date(2020, 0, 1), new Date(2020, 0, 1));
  await createKeyPair({ issuer: "dev", name: "new", alg: "ES256", ...dirs });
  ({ dataUri } = await createKeyPair({ issuer: "svc", name: "k1", ...dirs }));
  await writeFile(path.join(cwd, "not-a-key.pem"), "nope");
});

afterAll(async () => {
  await removeDir(cwd);
});

function verify(token: string, audience = "sentiment-api") {
  return verifyAsapToken(token, {
    keyRepository: new FileKeyRepository(path.join(cwd, "keys/public")),
    replayGuard: new MemoryReplayGuard(),
    audience,
  });
}

describe.concurrent("npm run -s mint", () => {
  it("exits 0 quietly when its output's reader has gone (| head)", async () => {
    const result = await runScriptUntilReaderLeaves("mint", ["--iss", "dev"], cwd, 0);
    expect([result.code, result.stderr]).toEqual([0, ""]);
  });

  it("prints only a token, which the verifier accepts", async () => {
    const result = await runScript("mint", ["--iss", "dev"], cwd);
    const token = result.stdout.trim();
    expect([result.code, result.stdout, result.stderr, (await verify(token)).iss]).toEqual([
      0,
      expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/),
      "",
      "dev",
    ]);
  });

  it("uses the newest key in keys/private/<iss>/", async () => {
    const result = await runScript("mint", ["--iss", "dev"], cwd);
    const verified = await verify(result.stdout.trim());
    expect([verified.kid, verified.alg]).toEqual(["dev/new", "ES256"]);
  });

  it("uses keys/private/<kid>.pem for an explicit --kid", async () => {
    const result = await runScript("mint", ["--iss", "dev", "--kid", "dev/old"], cwd);
    expect((await verify(result.stdout.trim())).kid).toBe("dev/old");
  });

  it("sets a 60 s lifetime, a sub and several audiences when asked", async () => {
    const result = await runScript(
      "mint",
      ["--iss", "dev", "--sub", "alice", "--aud", "a", "--aud", "sentiment-api"],
      cwd,
    );
    const verified = await verify(result.stdout.trim());
    expect([verified.sub, verified.aud, verified.exp - verified.iat]).toEqual([
      "alice",
      ["a", "sentiment-api"],
      60,
    ]);
  });

  it("honours --lifetime up to 3600", async () => {
    const result = await runScript("mint", ["--iss", "dev", "--lifetime", "3600"], cwd);
    const verified = await verify(result.stdout.trim());
    expect(verified.exp - verified.iat).toBe(3600);
  });

  it("refuses a lifetime over 3600 with exit code 2 and nothing on stdout", async () => {
    const result = await runScript("mint", ["--iss", "dev", "--lifetime", "3601"], cwd);
    expect([result.code, result.stdout, result.stderr]).toEqual([
      2,
      "",
      expect.stringMatching(/at most 3600/),
    ]);
  });

  it("takes the key from ASAP_PRIVATE_KEY and the issuer from ASAP_ISSUER", async () => {
    const result = await runScript("mint", [], cwd, {
      ASAP_PRIVATE_KEY: dataUri,
      ASAP_ISSUER: "svc",
    });
    expect((await verify(result.stdout.trim())).kid).toBe("svc/k1");
  });

  it("takes the audience from ASAP_AUDIENCE", async () => {
    const result = await runScript("mint", ["--iss", "dev"], cwd, { ASAP_AUDIENCE: "billing" });
    expect((await verify(result.stdout.trim(), "billing")).aud).toBe("billing");
  });

  it("takes the key from --key, with the kid from the file name", async () => {
    const result = await runScript(
      "mint",
      ["--iss", "svc", "--key", "keys/private/svc/k1.pem"],
      cwd,
    );
    expect((await verify(result.stdout.trim())).kid).toBe("svc/k1");
  });

  it("gives every token a fresh jti", async () => {
    const [a, b] = await Promise.all([
      runScript("mint", ["--iss", "dev"], cwd),
      runScript("mint", ["--iss", "dev"], cwd),
    ]);
    expect((await verify(a.stdout.trim())).jti).not.toBe((await verify(b.stdout.trim())).jti);
  });

  it("fails with a message on stderr when the issuer has no key", async () => {
    const result = await runScript("mint", ["--iss", "nobody"], cwd);
    expect([result.code, result.stdout, result.stderr]).toEqual([
      1,
      "",
      expect.stringMatching(/no private key/),
    ]);
  });

  it("fails when --key is not a private key", async () => {
    const result = await runScript("mint", ["--iss", "dev", "--key", "not-a-key.pem"], cwd);
    expect([result.code, result.stdout]).toEqual([1, ""]);
  });

  it("requires an issuer", async () => {
    const result = await runScript("mint", [], cwd);
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/--iss/)]);
  });

  it("refuses unknown options with exit code 2", async () => {
    const result = await runScript("mint", ["--iss", "dev", "--bogus"], cwd);
    expect(result.code).toBe(2);
  });

  it("prints help", async () => {
    const result = await runScript("mint", ["--help"], cwd);
    expect([result.code, result.stdout]).toEqual([
      0,
      expect.stringMatching(/Usage: npm run -s mint/),
    ]);
  });
});
