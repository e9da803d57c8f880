import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "..");
// The child runs in a temporary directory, so the TypeScript loader is named by its absolute URL.
const tsxLoader = pathToFileURL(join(repo, "node_modules/tsx/dist/loader.mjs")).href;

function startMain(
  env: Record<string, string>,
  cwd = mkdtempSync(join(tmpdir(), "sentiment-api-main-")),
): ChildProcess {
  return spawn(process.execPath, ["--import", tsxLoader, join(repo, "src/main.ts")], {
    cwd,
    env: {
      PATH: process.env.PATH,
      CONFIG_FILE: join(repo, "config/api.json"),
      HOST: "127.0.0.1",
      PORT: "0",
      METRICS_PORT: "0",
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

  it("drains and stops cleanly on a SIGTERM that arrives while it is still starting", async () => {
    const child = startMain({});
    const exited = exitOf(child);
    // The first line is logged early in the start, long before the model is loaded and the port
    // listens: the signal must be handled, not kill the process by default action.
    await new Promise<void>((resolvePromise) => child.stdout?.once("data", () => resolvePromise()));
    child.kill("SIGTERM");
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/"msg":"stopped"/);
  });

  it("refuses WORKERS > 1 with the in-memory replay store", async () => {
    const result = await exitOf(startMain({ WORKERS: "2" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/needs a shared replay store/);
  });

  it("with WORKERS=2 replaces a crashed worker process and keeps answering", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "sentiment-api-main-"));
    const child = startMain(
      { WORKERS: "2", INFERENCE_WORKERS: "1", ASAP_REPLAY_PROTECTION: "false" },
      cwd,
    );
    const exited = exitOf(child);
    const lines: Record<string, unknown>[] = [];
    const waitFor = (predicate: () => boolean) =>
      new Promise<void>((resolvePromise) => {
        const check = () => {
          if (predicate()) {
            child.stdout?.off("data", onData);
            resolvePromise();
          }
        };
        const onData = () => setImmediate(check);
        child.stdout?.on("data", onData);
        check();
      });
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const part of parts) if (part.trim()) lines.push(JSON.parse(part));
    });
    const listening = () => lines.filter((line) => String(line.msg).includes("listening"));
    await waitFor(() => listening().length >= 2);
    const [first] = listening();
    const port = first?.port as number;
    process.kill(first?.pid as number, "SIGKILL");
    await waitFor(() => listening().length >= 3);
    expect(
      lines.some((line) => line.msg === "worker process exited unexpectedly; replacing it"),
    ).toBe(true);
    const health = await fetchHealth(
      port,
      readFileSync(join(cwd, "keys/tls/localhost.crt"), "utf8"),
    );
    expect(health).toBe(200);
    child.kill("SIGTERM");
    const result = await exited;
    expect(result.code).toBe(0);
  });
});

async function fetchHealth(port: number, ca: string): Promise<number> {
  const { request } = await import("node:https");
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: "localhost", port, path: "/healthz", ca }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}
