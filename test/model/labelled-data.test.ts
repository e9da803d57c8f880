import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseGoldLabel, readLabelledCsv, sha256Hex } from "../../src/model/labelled-data.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "labelled-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseGoldLabel", () => {
  it("accepts 0/1 and the three class words in any case", () => {
    expect(["0", "1", "Negative", "NEUTRAL", "positive"].map(parseGoldLabel)).toEqual([
      "negative",
      "positive",
      "negative",
      "neutral",
      "positive",
    ]);
    expect(parseGoldLabel("4")).toBeUndefined();
  });
});

describe("readLabelledCsv", () => {
  it("reads label and text columns, ignoring the others, and detects a binary set", async () => {
    const path = join(dir, "a.csv");
    const content = 'id,text,label\n7,"hello, ""you""",1\n8,bye,0\n';
    await writeFile(path, content);
    const file = await readLabelledCsv(path);
    expect(file.rows).toEqual([
      { label: "positive", text: 'hello, "you"' },
      { label: "negative", text: "bye" },
    ]);
    expect(file.task).toBe("binary");
    expect(file.sha256).toBe(sha256Hex(Buffer.from(content)));
  });

  it("reads gzipped CSV and detects a 3-class set", async () => {
    const path = join(dir, "b.csv.gz");
    await writeFile(path, gzipSync("label,text\nneutral,meh\npositive,yay\n"));
    const file = await readLabelledCsv(path);
    expect(file.task).toBe("3class");
    expect(file.rows.map((r) => r.label)).toEqual(["neutral", "positive"]);
  });

  it("fails with data_file_invalid when the header lacks text", async () => {
    const path = join(dir, "c.csv");
    await writeFile(path, "label,tweet\n1,x\n");
    await expect(readLabelledCsv(path)).rejects.toMatchObject({ code: "data_file_invalid" });
  });

  it("fails with data_file_invalid on an unknown label", async () => {
    const path = join(dir, "d.csv");
    await writeFile(path, "label,text\nmaybe,x\n");
    await expect(readLabelledCsv(path)).rejects.toMatchObject({ code: "data_file_invalid" });
  });

  it("fails with data_file_unreadable for a missing file", async () => {
    await expect(readLabelledCsv(join(dir, "missing.csv"))).rejects.toMatchObject({
      code: "data_file_unreadable",
    });
  });
});
