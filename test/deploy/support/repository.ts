import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ENVIRONMENT_OVERRIDES } from "../../../src/config/schema.js";

/** Absolute path of the repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

/** Absolute path of a file given relative to the repository root. */
export function repoPath(relative: string): string {
  return join(REPO_ROOT, relative);
}

/** A repository file as UTF-8 text. */
export function readRepoFile(relative: string): string {
  return readFileSync(repoPath(relative), "utf8");
}

/** The port the service listens on by default, from config/api.json. */
export function configuredPort(): number {
  const config = JSON.parse(readRepoFile("config/api.json")) as { server?: { port?: unknown } };
  const port = config.server?.port;
  if (typeof port !== "number") throw new Error("config/api.json has no server.port");
  return port;
}

/**
 * Environment variable names the service reads: the config loader's override table plus every
 * `env.NAME`, `env["NAME"]` or `process.env.NAME` in the TypeScript under src/ (comments excluded).
 */
export function environmentNamesReadBySource(): Set<string> {
  const names = new Set(Object.keys(ENVIRONMENT_OVERRIDES));
  const files = readdirSync(repoPath("src"), { recursive: true, encoding: "utf8" });
  for (const file of files.filter((name) => name.endsWith(".ts"))) {
    const code = readFileSync(join(repoPath("src"), file), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const match of code.matchAll(
      /\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*["'`]([A-Z][A-Z0-9_]*)["'`]\s*\])/g,
    )) {
      names.add(match[1] ?? match[2] ?? "");
    }
  }
  return names;
}
