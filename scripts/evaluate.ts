/**
 * Evaluates a model directory on a labelled CSV (header with `label` and `text`; labels 0/1 or
 * negative/neutral/positive; .csv.gz accepted).
 *
 *   npm run evaluate -- --model models/<name> --data <csv> [--json] [--backend wasm|cpu|auto]
 *
 * Binary sets (no neutral row): POSITIVE iff score >= 0.5, as in the notebook.
 * 3-class sets: NEGATIVE below thresholds.negativeBelow, POSITIVE above positiveAbove.
 */
import { parseArgs } from "node:util";
import type { BackendChoice } from "../src/model/backend.js";
import {
  evaluateScores,
  formatClassificationReport,
  formatConfusionMatrix,
} from "../src/model/classification-report.js";
import { loadSentimentModel } from "../src/model/inference.js";
import { readLabelledCsv } from "../src/model/labelled-data.js";

const USAGE =
  "usage: npm run evaluate -- --model <dir> --data <csv> [--json] [--backend auto|wasm|cpu|tensorflow] [--batch-size N]";

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      model: { type: "string" },
      data: { type: "string" },
      json: { type: "boolean", default: false },
      backend: { type: "string", default: "auto" },
      "batch-size": { type: "string", default: "512" },
    },
    strict: true,
  });
  if (args.model === undefined || args.data === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const backend = args.backend as BackendChoice;
  if (!["auto", "wasm", "cpu", "tensorflow"].includes(backend)) {
    process.stderr.write(`unknown backend ${backend}\n${USAGE}\n`);
    return 2;
  }
  const batchSize = Math.max(1, Number(args["batch-size"]) || 512);
  if (args.json) {
    // Libraries may print hints on stdout; --json promises nothing but the JSON object there.
    console.log = (...parts: unknown[]) => process.stderr.write(`${parts.join(" ")}\n`);
    console.info = console.log;
  }

  const file = await readLabelledCsv(args.data);
  const model = await loadSentimentModel(args.model, { backend });
  process.stderr.write(
    `model ${model.metadata.name} ${model.metadata.version} on backend ${model.backend}\n`,
  );
  const texts = file.rows.map((r) => r.text);
  const scores: number[] = [];
  try {
    for (let i = 0; i < texts.length; i += batchSize) {
      for (const p of await model.predict(texts.slice(i, i + batchSize))) scores.push(p.score);
    }
  } finally {
    model.dispose();
  }
  const report = evaluateScores(
    scores,
    file.rows.map((r) => r.label),
    file.task,
    model.metadata.thresholds,
  );
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const rule =
    file.task === "binary"
      ? "binary set: POSITIVE iff score >= 0.5"
      : `3-class set: NEGATIVE if score < ${model.metadata.thresholds.negativeBelow}, POSITIVE if score > ${model.metadata.thresholds.positiveAbove}, else NEUTRAL`;
  const out = [
    `${args.data}: ${report.n} rows (${rule})`,
    `accuracy ${report.accuracy.toFixed(4)}`,
    "",
    formatClassificationReport(report),
    "",
    "confusion matrix (rows: true label, columns: predicted)",
    formatConfusionMatrix(report),
  ];
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `evaluate failed${typeof code === "string" ? ` (${code})` : ""}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
