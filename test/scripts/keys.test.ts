import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parsePrivateKeyDataUri } from "../../src/asap/sign.js";
import { makeTempDir, removeDir } from "../asap/fixtures.js";
import { runScript, runScriptUntilReaderLeaves } from "./run-script.js";

const execFileAsync = promisify(execFile);

let cwd: string;

beforeEach(async () => {
  cwd = await makeTempDir("keys-script-");
});

afterEach(async () => {
  await removeDir(cwd);
});

function field(stdout: string, name: string): string | undefined {
  return stdout
    .split("\n")
    .find((line) => line.startsWith(name))
    ?.slice(name.length);
}

describe("npm run keys -- create", () => {
  it("writes keys/private/<iss>/<name>.pem with mode 0600 and keys/public/<iss>/<name>", async () => {
    const result = await runScript("keys", ["create", "--iss", "dev", "--name", "key1"], cwd);
    const privateStat = await stat(path.join(cwd, "keys/private/dev/key1.pem"));
    const publicPem = await readFile(path.join(cwd, "keys/public/dev/key1"), "utf8");
    expect([
      result.code,
      privateStat.mode & 0o777,
      publicPem.startsWith("-----BEGIN PUBLIC KEY-----"),
    ]).toEqual([0, 0o600, true]);
  });

  it("prints the kid and an ASAP_PRIVATE_KEY line a shell takes as it is", async () => {
    const result = await runScript(
      "keys",
      ["create", "--iss", "dev", "--name", "key1", "--alg", "ES256"],
      cwd,
    );
    const line = result.stdout.split("\n").find((l) => l.startsWith("ASAP_PRIVATE_KEY=")) ?? "";
    // The URI's ';' would end an unquoted shell assignment and run the rest as a command.
    const { stdout: uri, stderr } = await execFileAsync("bash", [
      "-c",
      `export ${line}; printf %s "$ASAP_PRIVATE_KEY"`,
    ]);
    expect([field(result.stdout, "kid: "), parsePrivateKeyDataUri(uri).kid, stderr]).toEqual([
      "dev/key1",
      "dev/key1",
      "",
    ]);
  });

  it("names the key after the current date and time by default", async () => {
    const result = await runScript("keys", ["create", "--iss", "dev"], cwd);
    expect(field(result.stdout, "kid: ")).toMatch(/^dev\/key-\d{8}-\d{6}$/);
  });

  it("refuses to overwrite an existing key", async () => {
    await runScript("keys", ["create", "--iss", "dev", "--name", "key1"], cwd);
    const second = await runScript("keys", ["create", "--iss", "dev", "--name", "key1"], cwd);
    expect([second.code, second.stderr]).toEqual([1, expect.stringMatching(/already exists/)]);
  });

  it("refuses a missing issuer with exit code 2", async () => {
    const result = await runScript("keys", ["create"], cwd);
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/--iss/)]);
  });

  it("refuses an HMAC algorithm with exit code 2", async () => {
    const result = await runScript("keys", ["create", "--iss", "dev", "--alg", "HS256"], cwd);
    expect(result.code).toBe(2);
  });

  it("refuses an issuer that would escape the key folder", async () => {
    const result = await runScript("keys", ["create", "--iss", "../../tmp", "--name", "k"], cwd);
    expect(result.code).toBe(2);
  });

  it("creates the key and exits 0 quietly when its output's reader has gone (| head)", async () => {
    const result = await runScriptUntilReaderLeaves(
      "keys",
      ["create", "--iss", "dev", "--name", "key1"],
      cwd,
      0,
    );
    const publicPem = await readFile(path.join(cwd, "keys/public/dev/key1"), "utf8");
    expect({
      code: result.code,
      stderr: result.stderr,
      publicKey: publicPem.startsWith("-----BEGIN PUBLIC KEY-----"),
    }).toEqual({ code: 0, stderr: "", publicKey: true });
  });

  it("prints help", async () => {
    const result = await runScript("keys", ["--help"], cwd);
    expect([result.code, result.stdout]).toEqual([
      0,
      expect.stringMatching(/Usage: npm run keys -- create/),
    ]);
  });
});
