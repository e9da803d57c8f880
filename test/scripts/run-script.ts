import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<name>.ts` with tsx in `cwd`, with no ASAP_* variables unless given. */
export function runScript(
  name: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<ScriptResult> {
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("ASAP_")),
  );
  return new Promise((resolve) => {
    execFile(
      tsx,
      [path.join(root, "scripts", `${name}.ts`), ...args],
      { cwd, env: { ...baseEnv, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs `scripts/<name>.ts` like runScript, with its stdout read by a reader that goes away, as
 * `| head` does, once `keepBytes` bytes have arrived (0: before the script writes anything).
 */
export function runScriptUntilReaderLeaves(
  name: string,
  args: readonly string[],
  cwd: string,
  keepBytes: number,
): Promise<{ code: number | null; stderr: string; bytesRead: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [path.join(root, "scripts", `${name}.ts`), ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let bytesRead = 0;
    let stderr = "";
    const leave = () => child.stdout.destroy();
    if (keepBytes === 0) leave();
    child.stdout.on("data", (chunk: Buffer) => {
      bytesRead += chunk.length;
      if (bytesRead >= keepBytes) leave();
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, bytesRead });
    });
  });
}
