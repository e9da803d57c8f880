import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread from a module URL. Compiled `.js` modules start directly; `.ts` modules
 * (vitest, tsx) start through a tiny bootstrap that registers tsx's loader inside the new thread:
 * on Node 20, `execArgv: ["--import", "tsx"]` (or inheriting it) still fails with
 * ERR_UNKNOWN_FILE_EXTENSION for a `.ts` worker.
 */
export function startModuleWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith(".ts")) return new Worker(moduleUrl, options);
  const tsxApiUrl = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApiUrl)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * URL of a sibling module of `moduleUrl` (default: this file), with the same extension (`.ts` in
 * dev, `.js` in dist).
 */
export function siblingModuleUrl(baseName: string, moduleUrl: string = import.meta.url): URL {
  const extension = moduleUrl.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./${baseName}${extension}`, moduleUrl);
}
