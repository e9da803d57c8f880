import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { until } from "../predictions/fixtures.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const tsxLoader = pathToFileURL(join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href;
const tiedProcess = pathToFileURL(join(import.meta.dirname, "tied-process.ts")).href;

/** Whether the process runs (an exited one waiting to be reaped does not). */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

it("ends a tied program when the process that started it is killed outright", async () => {
  const parent = spawn(
    process.execPath,
    [
      ...["--import", tsxLoader, "--input-type=module", "-e"],
      `const { spawnTied } = await import(${JSON.stringify(tiedProcess)});
       const child = spawnTied("sleep", ["300"]);
       child.on("spawn", () => console.log(child.pid));
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [printed] = (await once(parent.stdout, "data")) as [Buffer];
  const tied = Number(printed.toString());
  expect(isRunning(tied)).toBe(true);

  parent.kill("SIGKILL");
  await until(() => !isRunning(tied), 10_000);
});
