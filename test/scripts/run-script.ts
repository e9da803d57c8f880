import { execFile } from "node:child_process";
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
