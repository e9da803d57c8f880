import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "..");
// The child runs in a temporary directory, so the TypeScript loader is named by its absolute URL.
const tsxLoader = pathToFileURL(join(repo, "node_modules/tsx/dist/loader.mjs")).href;

function startMain(env: Record<string, string>): ChildProcess {
  const cwd = mkdtempSync(join(tmpdir(), "sentiment-api-main-"));
  return spawn(process.execPath, ["--import", tsxLoader, join(repo, "src/main.ts")], {
    cwd,
    env: {
      PATH: process.env.PATH,
      CONFIG_FILE: join(repo, "config/api.json"),
      HOST: "127.0.0.1",
      PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolvePromise) =>
    child.once("exit", (code) => resolvePromise({ code, stdout, stderr })),
  );
}

describe("the sentiment-api process", () => {
  it("exits 1 naming the field and variable of an invalid setting", async () => {
    const result = await exitOf(startMain({ ASAP_VALID_LEEWAY: "soon" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /asap\.leewaySeconds \(from ASAP_VALID_LEEWAY\): must be a whole number/,
    );
  });

  it("refuses NODE_ENV=production on the self-signed certificate", async () => {
    const result = await exitOf(startMain({ NODE_ENV: "production" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/production refuses development defaults/);
  });

  it("logs its port and certificate fingerprint, then stops cleanly on SIGTERM", async () => {
    const child = startMain({});
    const exited = exitOf(child);
    const listening = await new Promise<string>((resolvePromise) => {
      let seen = "";
      child.stdout?.on("data", (chunk) => {
        seen += chunk;
        if (seen.includes("listening")) resolvePromise(seen);
      });
    });
    expect(listening).toMatch(/"fingerprint_sha256":"([0-9A-F]{2}:){31}[0-9A-F]{2}"/);
    expect(listening).toMatch(/created a development ASAP key pair/);
    child.kill("SIGTERM");
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/"msg":"stopped"/);
  });
});
