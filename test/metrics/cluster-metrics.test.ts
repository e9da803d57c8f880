import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { promtoolCheck } from "./exposition.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

it("serves the sum of every cluster worker's metrics from the primary", async () => {
  const { stdout } = await run(
    resolve(repoRoot, "node_modules/.bin/tsx"),
    [resolve(import.meta.dirname, "cluster-metrics-fixture.ts")],
    { cwd: repoRoot, timeout: 60_000 },
  );
  // Each of the two workers recorded one refusal.
  expect(stdout).toContain('asap_refusals_total{reason="token_expired"} 2');
  expect(promtoolCheck(stdout)).toEqual({ status: 0, output: "" });
}, 90_000);
