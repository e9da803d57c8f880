import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvaluationReportSchema } from "../../src/model/metadata.js";
import { writeThreeClassModel } from "../model/three-class-fixture.js";
import { runScriptUntilReaderLeaves } from "./run-script.js";

const run = promisify(execFile);
const SHIPPED_MODEL_DIR = "models/sentiment-boe";

async function evaluate(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  return await run(process.execPath, ["--import", "tsx", "scripts/evaluate.ts", ...args], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
  });
}

describe("npm run evaluate", () => {
  let dir: string;
  let binary: string;
  let threeClass: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "evaluate-"));
    binary = join(dir, "binary.csv");
    await writeFile(
      binary,
      "id,label,text\n1,1,I love it so much\n2,0,I hate this awful day\n3,1,best friends ever\n4,0,so sad and sick\n",
    );
    threeClass = join(dir, "three.csv.gz");
    await writeFile(
      threeClass,
      gzipSync("label,text\npositive,love it\nneutral,the bus leaves at 5\nnegative,worst ever\n"),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints exactly one JSON report on stdout with --json", async () => {
    const { stdout } = await evaluate(["--model", SHIPPED_MODEL_DIR, "--data", binary, "--json"]);
    const report = EvaluationReportSchema.parse(JSON.parse(stdout));
    expect(report.n).toBe(4);
    expect(report.task).toBe("binary");
    expect(Object.keys(report.classes)).toEqual(["NEGATIVE", "POSITIVE"]);
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
  });

  it("prints accuracy, the classification report and the confusion matrix", async () => {
    const { stdout } = await evaluate(["--model", SHIPPED_MODEL_DIR, "--data", binary]);
    expect(stdout).toMatch(/^accuracy \d\.\d{4}$/m);
    expect(stdout).toMatch(/precision\s+recall\s+f1-score\s+support/);
    expect(stdout).toMatch(/weighted avg/);
    expect(stdout).toMatch(/confusion matrix/);
  });

  it("evaluates gzipped 3-class sets with the three labels", async () => {
    const { stdout } = await evaluate([
      "--model",
      SHIPPED_MODEL_DIR,
      "--data",
      threeClass,
      "--json",
    ]);
    const report = EvaluationReportSchema.parse(JSON.parse(stdout));
    expect(report.task).toBe("3class");
    expect(report.confusion.labels).toEqual(["NEGATIVE", "NEUTRAL", "POSITIVE"]);
    expect(report.n).toBe(3);
  });

  it("reports a binary model folder's 3-class labels with the thresholds rule", async () => {
    const { stdout, stderr } = await evaluate([
      "--model",
      "models/sentiment-boe-binary",
      "--data",
      threeClass,
      "--json",
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ labelRule: "thresholds" });
    expect(stderr).toMatch(/label rule thresholds \(a binary model folder\)/);
  });

  it("labels 3-class sets with a 3-class model's most probable class, or with --label-rule thresholds", async () => {
    const modelDir = join(dir, "three-class-model");
    await writeThreeClassModel(modelDir);
    const data = join(dir, "fixture-three.csv");
    await writeFile(
      data,
      "label,text\npositive,love it\nneutral,the train leaves at 9\nnegative,hate it so sad\n",
    );
    const byModel = await evaluate(["--model", modelDir, "--data", data, "--json"]);
    const report = JSON.parse(byModel.stdout);
    expect(report).toMatchObject({ labelRule: "model", accuracy: 1 });
    expect(EvaluationReportSchema.parse(report).classes.NEUTRAL?.recall).toBe(1);
    const byThresholds = await evaluate([
      "--model",
      modelDir,
      "--data",
      data,
      "--json",
      "--label-rule",
      "thresholds",
    ]);
    expect(JSON.parse(byThresholds.stdout)).toMatchObject({ labelRule: "thresholds" });
    // Without the flag, the service's own setting decides, as LABEL_RULE does for the service.
    const byService = await evaluate(["--model", modelDir, "--data", data, "--json"], {
      LABEL_RULE: "thresholds",
    });
    expect(JSON.parse(byService.stdout)).toMatchObject({ labelRule: "thresholds" });
    const text = await evaluate(["--model", modelDir, "--data", data]);
    expect(text.stdout).toMatch(/label rule model: the most probable class/);
    expect(text.stdout).toMatch(/^balanced accuracy \(macro recall\) 1\.0000$/m);
    expect(text.stdout).toMatch(/^recall NEGATIVE 1\.0000, NEUTRAL 1\.0000, POSITIVE 1\.0000$/m);
  });

  it("exits 0 quietly when its report's reader has gone (| head)", async () => {
    const result = await runScriptUntilReaderLeaves(
      "evaluate",
      ["--model", SHIPPED_MODEL_DIR, "--data", binary],
      process.cwd(),
      0,
    );
    // stderr names the model as always, and nothing of the closed pipe.
    expect([result.code, /EPIPE|Error/.test(result.stderr)]).toEqual([0, false]);
  });

  it("exits with code 2 for an unknown label rule", async () => {
    await expect(
      evaluate(["--model", SHIPPED_MODEL_DIR, "--data", binary, "--label-rule", "argmax"]),
    ).rejects.toMatchObject({ code: 2 });
  });

  it("exits with code 2 and usage when arguments are missing", async () => {
    await expect(evaluate(["--data", binary])).rejects.toMatchObject({ code: 2 });
  });

  it("exits with code 1 naming the error code for a file without a label column", async () => {
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "text\nhello\n");
    await expect(evaluate(["--model", SHIPPED_MODEL_DIR, "--data", bad])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("data_file_invalid"),
    });
  });
});
