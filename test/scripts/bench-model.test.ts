import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeThreeClassModel } from "../model/three-class-fixture.js";

const run = promisify(execFile);
const SHIPPED_MODEL_DIR = "models/sentiment-boe";

describe("npm run bench:model with several --model folders", () => {
  let dir: string;
  let threeClass: string;
  let stdout: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-model-"));
    threeClass = join(dir, "three-class");
    await writeThreeClassModel(threeClass);
    ({ stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/bench-model.ts",
        "--model",
        SHIPPED_MODEL_DIR,
        "--model",
        threeClass,
        "--seconds",
        "0.2",
        "--rounds",
        "2",
        "--lstm-iterations",
        "0",
      ],
      { cwd: process.cwd(), timeout: 300_000 },
    ));
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("measures the folders interleaved in one run and prints a table for each", () => {
    expect(stdout).toMatch(/2 model\(s\) measured interleaved, 2 rounds/);
    expect(stdout).toContain(`model ${SHIPPED_MODEL_DIR}: load time`);
    expect(stdout).toContain(`model ${threeClass}: load time`);
    expect(stdout.match(/^\| 32 \| \d+ \| [\d.]+ \| [\d.]+ \|$/gm)).toHaveLength(2);
  });

  it("prints texts/s at batch 32 for each folder and its ratio to the first", () => {
    expect(stdout).toMatch(new RegExp(`^ {2}${SHIPPED_MODEL_DIR}: [\\d.]+ texts/s, 1\\.00x$`, "m"));
    const line = stdout.split("\n").find((l) => l.startsWith(`  ${threeClass}: `));
    expect(line).toMatch(/: [\d.]+ texts\/s, [\d.]+x$/);
  });

  it("skips the notebook architecture with --lstm-iterations 0", () => {
    expect(stdout).not.toContain("notebook architecture");
  });
});
