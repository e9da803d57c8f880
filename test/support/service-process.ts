import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadTlsCredentials } from "../../src/server/tls.js";
import { httpsRequest } from "./https-client.js";
import { issuerKeys } from "./issuer-keys.js";
import { spawnTied } from "./tied-process.js";

const repoRoot = resolve(import.meta.dirname, "../..");
// The child runs in a temporary directory, so the TypeScript loader is named by its absolute URL.
const tsxLoader = pathToFileURL(join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href;

/**
 * `src/main.ts` as a real child process in `cwd`, configured by `env` on top of the repo config.
 * It dies with the test process, so a test that times out before stopping it leaves nothing behind.
 */
export function spawnService(cwd: string, env: Record<string, string>): ChildProcess {
  return spawnTied(process.execPath, ["--import", tsxLoader, join(repoRoot, "src/main.ts")], {
    deathSignal: "SIGKILL",
    cwd,
    env: {
      PATH: process.env.PATH,
      CONFIG_FILE: join(repoRoot, "config/api.json"),
      MODEL_DIR: join(repoRoot, "models/sentiment-boe"),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      METRICS_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Polls /readyz until it answers 200 (the model is loaded), or fails after `timeoutMs`. */
export async function waitUntilReady(url: string, ca: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await httpsRequest(`${url}/readyz`, { ca })).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sends SIGTERM and resolves with the exit code. */
export async function stopService(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = (await exited) as [number | null];
  return code;
}

export interface ServiceDir {
  readonly dir: string;
  /** PEM of the self-signed certificate the service will serve (made ahead, so it can be trusted). */
  readonly ca: string;
  /** Signs a fresh token for the directory's one issuer. */
  token(): Promise<string>;
}

/** A working directory for a service process: one issuer's key pair and the TLS certificate. */
export async function prepareServiceDir(issuer: string): Promise<ServiceDir> {
  const dir = mkdtempSync(join(tmpdir(), `${issuer}-`));
  const keys = issuerKeys(dir);
  await keys.keyFor(issuer);
  const tls = await loadTlsCredentials({
    certFile: null,
    keyFile: null,
    selfSignedDir: join(dir, "keys/tls"),
  });
  return { dir, ca: tls.cert, token: () => keys.token(issuer) };
}
