import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PredictionRecord } from "../../src/predictions/prediction-record.js";
import { SqlitePredictionStore } from "../../src/predictions/sqlite-prediction-store.js";
import { runScript, runScriptUntilReaderLeaves } from "../scripts/run-script.js";
import { sampleRecord, temporaryDirectory } from "./fixtures.js";

/** A scratch SQLite prediction log holding `records`, and its DATABASE_URL. */
async function sqliteLogWith(records: PredictionRecord[]) {
  const dir = await temporaryDirectory();
  const path = join(dir.path, "predictions.sqlite");
  const store = new SqlitePredictionStore(path);
  await store.migrate();
  await store.insertBatch(records);
  await store.close();
  return { dir, database: `sqlite:${path}` };
}

describe("npm run predictions -- export", () => {
  let dir: Awaited<ReturnType<typeof temporaryDirectory>>;
  let database: string;

  beforeAll(async () => {
    ({ dir, database } = await sqliteLogWith([
      sampleRecord({ createdAt: new Date("2026-05-01T00:00:00Z"), label: "NEGATIVE", text: "old" }),
      sampleRecord({
        createdAt: new Date("2026-05-02T00:00:00Z"),
        label: "POSITIVE",
        text: 'new, "good"',
      }),
      sampleRecord({ createdAt: new Date("2026-05-03T00:00:00Z"), text: "hidden" }, false),
    ]));
  });

  afterAll(async () => {
    await dir.remove();
  });

  it("writes the rows since a time as label,text CSV and counts hash-only rows on stderr", async () => {
    const out = join(dir.path, "export.csv");
    const { code, stderr } = await runScript(
      "predictions",
      ["export", "--database", database, "--since", "2026-05-02T00:00:00Z", "--out", out],
      dir.path,
    );
    const rows = parse(await readFile(out, "utf8"), { columns: true }) as Array<
      Record<string, string>
    >;
    expect({
      code,
      rows: rows.map((row) => [row.label, row.text]),
      skipped: /skipped 1 logged without text/.test(stderr),
    }).toEqual({ code: 0, rows: [["positive", 'new, "good"']], skipped: true });
  });

  it("prints its usage for --help and exits 0", async () => {
    const result = await runScript("predictions", ["--help"], dir.path);
    expect([result.code, result.stdout]).toEqual([
      0,
      expect.stringMatching(/^usage: npm run predictions -- export /),
    ]);
  });

  it("refuses an unknown format with exit code 2", async () => {
    const result = await runScript(
      "predictions",
      ["export", "--database", database, "--format", "xml"],
      dir.path,
    );
    expect(result.code).toBe(2);
  });
});

describe("npm run predictions -- export | head", () => {
  const ROWS = 3000;
  let dir: Awaited<ReturnType<typeof temporaryDirectory>>;
  let database: string;

  beforeAll(async () => {
    // Well over a pipe's 64 KiB buffer, so the export is still writing when the reader leaves.
    ({ dir, database } = await sqliteLogWith(Array.from({ length: ROWS }, () => sampleRecord())));
  });

  afterAll(async () => {
    await dir.remove();
  });

  it("stops quietly with exit code 0 when the reader leaves after the first rows", async () => {
    const result = await runScriptUntilReaderLeaves(
      "predictions",
      ["export", "--database", database],
      dir.path,
      1000,
    );
    expect({
      code: result.code,
      stderr: result.stderr,
      partial: result.bytesRead < ROWS * 100,
    }).toEqual({
      code: 0,
      stderr: "",
      partial: true,
    });
  });
});
