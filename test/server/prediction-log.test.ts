import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/predictions/prediction-record.js";
import { startTestService } from "../support/service.js";

interface Row {
  request_id: string;
  issuer: string;
  subject: string;
  model_name: string;
  label: string;
  score: number;
  text: string | null;
  text_sha256: string;
}

async function scoreThenStop(logText: boolean) {
  const svc = await startTestService({ predictions: { logText } });
  const token = await svc.token("test-client", { subject: "reporting-job" });
  const texts = ["what a lovely day", "this is the worst", "meh"];
  const res = await svc.request("/v1/sentiment/batch", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ texts }),
  });
  expect(res.status).toBe(200);
  await svc.service.stop(); // graceful stop flushes the prediction buffer
  const db = new Database(join(svc.dir, "var/predictions.sqlite"), { readonly: true });
  try {
    const rows = db.prepare("SELECT * FROM predictions ORDER BY seq").all() as Row[];
    return {
      rows,
      texts,
      requestId: res.headers["x-request-id"],
      results: res.json<{ results: { score: number }[] }>().results,
    };
  } finally {
    db.close();
  }
}

describe("prediction log", () => {
  it("records every scored text with caller, model, label and score, flushed on stop", async () => {
    const { rows, texts, requestId, results } = await scoreThenStop(true);
    expect(rows).toHaveLength(3);
    rows.forEach((row, index) => {
      expect(row).toMatchObject({
        request_id: requestId,
        issuer: "test-client",
        subject: "reporting-job",
        text: texts[index],
        text_sha256: sha256Hex(texts[index] ?? ""),
      });
      expect(row.score).toBeCloseTo(results[index]?.score ?? Number.NaN, 6);
    });
  });

  it("keeps only the SHA-256 when PREDICTION_LOG_TEXT=false", async () => {
    const { rows, texts } = await scoreThenStop(false);
    expect(rows.map((row) => row.text)).toEqual([null, null, null]);
    expect(rows.map((row) => row.text_sha256)).toEqual(texts.map(sha256Hex));
  });
});
