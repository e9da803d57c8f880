import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { readLabelledCsv } from "../../src/model/labelled-data.js";
import {
  csvField,
  type ExportFormat,
  writePredictionExport,
} from "../../src/predictions/prediction-export.js";
import type { PredictionRecord } from "../../src/predictions/prediction-record.js";
import { sampleRecord, temporaryDirectory } from "./fixtures.js";

async function* rowsOf(records: PredictionRecord[]): AsyncIterable<PredictionRecord> {
  yield* records;
}

async function exportText(records: PredictionRecord[], format: ExportFormat) {
  let text = "";
  const summary = await writePredictionExport(rowsOf(records), format, (chunk) => {
    text += chunk;
  });
  return { text, summary };
}

const TRICKY_TEXTS = [
  "plain words",
  'a "quoted" word, and a comma',
  "two\nlines\r\nand a CR\r",
  " leading and trailing spaces ",
  "emoji 😀 and é",
  "",
];

describe("writePredictionExport", () => {
  it("writes CSV that csv-parse reads back with label and text columns", async () => {
    const records = TRICKY_TEXTS.map((text, i) =>
      sampleRecord({ text, label: (["NEGATIVE", "NEUTRAL", "POSITIVE"] as const)[i % 3] }),
    );
    const { text } = await exportText(records, "csv");
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((row) => [row.label, row.text])).toEqual(
      records.map((record) => [record.label.toLowerCase(), record.text]),
    );
  });

  it("writes CSV that the training and evaluation reader accepts", async () => {
    const dir = await temporaryDirectory();
    try {
      const records = [
        sampleRecord({ label: "NEGATIVE", text: "awful, just awful" }),
        sampleRecord({ label: "NEUTRAL", text: 'it is "fine"' }),
        sampleRecord({ label: "POSITIVE", text: "love it\nreally" }),
      ];
      const path = join(dir.path, "predictions.csv");
      await writeFile(path, (await exportText(records, "csv")).text);
      const file = await readLabelledCsv(path);
      expect(file.rows).toEqual([
        { label: "negative", text: "awful, just awful" },
        { label: "neutral", text: 'it is "fine"' },
        { label: "positive", text: "love it\nreally" },
      ]);
    } finally {
      await dir.remove();
    }
  });

  it("starts the CSV header with label,text", async () => {
    const { text } = await exportText([], "csv");
    expect(text.startsWith("label,text,")).toBe(true);
  });

  it("skips records stored without text in CSV and counts them", async () => {
    const records = [sampleRecord({}, false), sampleRecord(), sampleRecord({}, false)];
    const { text, summary } = await exportText(records, "csv");
    expect([summary, (parse(text, { columns: true }) as unknown[]).length]).toEqual([
      { rows: 1, skippedWithoutText: 2 },
      1,
    ]);
  });

  it("keeps records stored without text in JSON lines, with their hash", async () => {
    const record = sampleRecord({ text: "secret" }, false);
    const { text } = await exportText([record], "jsonl");
    const parsed = JSON.parse(text.trim()) as Record<string, unknown>;
    expect([parsed.text, parsed.text_sha256]).toEqual([null, record.textSha256]);
  });

  it("writes one JSON object per line", async () => {
    const records = [sampleRecord({ text: "a\nb" }), sampleRecord()];
    const { text } = await exportText(records, "jsonl");
    const ids = text
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toEqual(records.map((r) => r.id));
  });
});

describe("csvField", () => {
  it("leaves a field without special characters as it is", () => {
    expect(csvField("hello world")).toBe("hello world");
  });

  it("quotes a field with a comma, quote or line break and doubles its quotes", () => {
    expect([csvField("a,b"), csvField('say "hi"'), csvField("a\nb")]).toEqual([
      '"a,b"',
      '"say ""hi"""',
      '"a\nb"',
    ]);
  });
});
