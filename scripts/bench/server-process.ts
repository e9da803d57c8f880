/** Starting and stopping the servers under test as child processes. */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServerProcess {
  readonly pid: number;
  /** `https://127.0.0.1:<port>` */
  readonly origin: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process exited. */
  stop(timeoutMs?: number): Promise<void>;
}

/** A port that was free a moment ago (the service needs a known port to be polled on). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address !== null
          ? resolvePort(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** A GET over HTTPS trusting only `ca`; status 0 when the connection fails. */
export function httpsGet(
  url: string,
  ca: string,
  headers: Record<string, string> = {},
  timeoutMs = 2000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolveResponse) => {
    const req = request(
      url,
      { ca, servername: "localhost", headers, timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolveResponse({ status: res.statusCode ?? 0, body }));
        res.on("error", () => resolveResponse({ status: 0, body: "" }));
      },
    );
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolveResponse({ status: 0, body: "" }));
    req.end();
  });
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "(no log)";
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => child.once("exit", () => resolveExit()));
}

function stopper(child: ChildProcess) {
  return async (timeoutMs = 15_000) => {
    const done = exited(child);
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await done;
    clearTimeout(timer);
  };
}

const liveChildren = new Set<ChildProcess>();

/** SIGTERM to every server this process started that is still running (for exit and signals). */
export function killLiveChildren(): void {
  for (const child of liveChildren) child.kill("SIGTERM");
}

/**
 * Servers (and the run's scratch directory) must not outlive an interrupted or crashed
 * benchmark: on exit they are stopped; on SIGINT/SIGTERM the scratch directory goes too.
 */
export function stopServersOnExit(scratchDir: () => string | undefined): void {
  process.on("exit", killLiveChildren);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killLiveChildren();
      const dir = scratchDir();
      if (dir) rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
}

function spawnNode(
  args: readonly string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    logFile: string;
    stdout: "log" | "pipe";
  },
): ChildProcess {
  const log = openSync(options.logFile, "a");
  try {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", options.stdout === "log" ? log : "pipe", log],
    });
    liveChildren.add(child);
    child.once("exit", () => liveChildren.delete(child));
    return child;
  } finally {
    closeSync(log);
  }
}

export interface ServiceOptions {
  /** The repository root: the service reads config/api.json and the model from here. */
  readonly repoRoot: string;
  /** Scratch directory for the log file and, when profiling, the CPU profiles. */
  readonly workDir: string;
  readonly name: string;
  /** Environment overrides (HOST, PORT and the TLS/key locations are set by the caller). */
  readonly env: Readonly<Record<string, string>>;
  readonly ca: string;
  /** Extra node flags, e.g. ["--cpu-prof", "--cpu-prof-dir", dir]. */
  readonly nodeFlags?: readonly string[];
  readonly readyTimeoutMs?: number;
}

/** Starts `src/main.ts` and resolves once GET /readyz answers 200 (model loaded and warmed up). */
export async function startService(options: ServiceOptions): Promise<ServerProcess> {
  const port = await freePort();
  const logFile = join(options.workDir, `${options.name}.log`);
  const child = spawnNode([...(options.nodeFlags ?? []), "--import", "tsx", "src/main.ts"], {
    cwd: options.repoRoot,
    env: { ...process.env, ...options.env, HOST: "127.0.0.1", PORT: String(port) },
    logFile,
    stdout: "log",
  });
  const origin = `https://127.0.0.1:${port}`;
  const server = { pid: child.pid ?? -1, origin, logFile, stop: stopper(child) };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${options.name}: the service exited before it was ready:\n${logTail(logFile)}`,
      );
    }
    if ((await httpsGet(`${origin}/readyz`, options.ca)).status === 200) return server;
    await sleep(200);
  }
  await server.stop();
  throw new Error(
    `${options.name}: not ready after ${options.readyTimeoutMs} ms:\n${logTail(logFile)}`,
  );
}

/** Starts the echo server (scripts/bench/echo-server.ts) and resolves once it listens. */
export async function startEchoServer(options: {
  repoRoot: string;
  workDir: string;
  tlsDir: string;
  /** The service's ASAP settings for /auth/echo (ASAP_PUBLICKEY_REPOSITORY...). */
  env: Readonly<Record<string, string>>;
}): Promise<ServerProcess> {
  const logFile = join(options.workDir, "echo.log");
  const child = spawnNode(["--import", "tsx", "scripts/bench/echo-server.ts"], {
    cwd: options.repoRoot,
    env: { ...process.env, ...options.env, ECHO_TLS_DIR: options.tlsDir, PORT: "0" },
    logFile,
    stdout: "pipe",
  });
  const stop = stopper(child);
  const port = await new Promise<number>((resolvePort, reject) => {
    let buffered = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      buffered += chunk;
      const line = buffered.split("\n")[0];
      if (buffered.includes("\n") && line !== undefined) {
        try {
          resolvePort((JSON.parse(line) as { port: number }).port);
        } catch (error) {
          reject(error);
        }
      }
    });
    child.once("exit", () => reject(new Error(`the echo server exited:\n${logTail(logFile)}`)));
  });
  child.stdout?.resume();
  return { pid: child.pid ?? -1, origin: `https://127.0.0.1:${port}`, logFile, stop };
}
