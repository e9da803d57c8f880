/**
 * Evaluates a model directory on a labelled CSV (header with `label` and `text`; labels 0/1 or
 * negative/neutral/positive; .csv.gz accepted).
 *
 *   npm run evaluate -- --model models/<name> --data <csv> [--json] [--backend wasm|cpu|auto]
 *                       [--label-rule model|thresholds]
 *
 * Binary sets (no neutral row): POSITIVE iff score >= 0.5, as in the notebook.
 * 3-class sets: the labels the service gives with the same label rule and thresholds. By default
 * both come from the service's configuration (config/api.json or CONFIG_FILE, LABEL_RULE,
 * MODEL_NEGATIVE_BELOW / MODEL_POSITIVE_ABOVE); `--label-rule` overrides the rule. `model` takes
 * a 3-class model's most probable class; `thresholds` is NEGATIVE below negativeBelow, POSITIVE
 * above positiveAbove (always so for a binary model folder).
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/load.js";
import type { BackendChoice } from "../src/model/backend.js";
import {
  evaluatePredictions,
  formatClassificationReport,
  formatConfusionMatrix,
} from "../src/model/classification-report.js";
import { loadSentimentModel, type Prediction } from "../src/model/inference.js";
import { readLabelledCsv } from "../src/model/labelled-data.js";
import { LABEL_RULES, type LabelRule } from "../src/model/labels.js";
import { exitQuietlyWhenStdoutCloses } from "./cli/closed-stdout.js";

const USAGE =
  "usage: npm run evaluate -- --model <dir> --data <csv> [--json] [--backend auto|wasm|cpu|tensorflow] [--batch-size N] [--label-rule model|thresholds]";

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      model: { type: "string" },
      data: { type: "string" },
      json: { type: "boolean", default: false },
      backend: { type: "string", default: "auto" },
      "batch-size": { type: "string", default: "512" },
      "label-rule": { type: "string" },
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
  // The service's settings: the rule and thresholds it labels with.
  const served = loadConfig().model;
  const labelRule = (args["label-rule"] ?? served.labelRule) as LabelRule;
  if (!LABEL_RULES.includes(labelRule)) {
    process.stderr.write(`unknown label rule ${labelRule}\n${USAGE}\n`);
    return 2;
  }
  const batchSize = Math.max(1, Number(args["batch-size"]) || 512);
  if (args.json) {
    // Libraries may print hints on stdout; --json promises nothing but the JSON object there.
    console.log = (...parts: unknown[]) => process.stderr.write(`${parts.join(" ")}\n`);
    console.info = console.log;
  }

  const file = await readLabelledCsv(args.data);
  const model = await loadSentimentModel(args.model, {
    backend,
    labelRule,
    ...(served.negativeBelow !== null && served.positiveAbove !== null
      ? { thresholds: { negativeBelow: served.negativeBelow, positiveAbove: served.positiveAbove } }
      : {}),
  });
  process.stderr.write(
    `model ${model.metadata.name} ${model.metadata.version} on backend ${model.backend}, label rule ${model.labelRule}${model.metadata.classes === undefined ? " (a binary model folder)" : ""}\n`,
  );
  const texts = file.rows.map((r) => r.text);
  const predictions: { score: number; label: Prediction["label"] }[] = [];
  try {
    for (let i = 0; i < texts.length; i += batchSize) {
      for (const { score, label } of await model.predict(texts.slice(i, i + batchSize))) {
        predictions.push({ score, label });
      }
    }
  } finally {
    model.dispose();
  }
  const report = evaluatePredictions(
    predictions,
    file.rows.map((r) => r.label),
    file.task,
  );
  if (args.json) {
    // The rule that gave the 3-class labels rides along (the report schema ignores it).
    process.stdout.write(`${JSON.stringify({ ...report, labelRule: model.labelRule })}\n`);
    return 0;
  }
  const { negativeBelow, positiveAbove } = model.thresholds;
  const rule =
    file.task === "binary"
      ? "binary set: POSITIVE iff score >= 0.5"
      : model.labelRule === "model"
        ? "3-class set, label rule model: the most probable class"
        : `3-class set, label rule thresholds: NEGATIVE if score < ${negativeBelow}, POSITIVE if score > ${positiveAbove}, else NEUTRAL`;
  const out = [
    `${args.data}: ${report.n} rows (${rule})`,
    `accuracy ${report.accuracy.toFixed(4)}`,
    `balanced accuracy (macro recall) ${report.macroAvg.recall.toFixed(4)}`,
    `recall ${Object.entries(report.classes)
      .map(([label, m]) => `${label} ${m.recall.toFixed(4)}`)
      .join(", ")}`,
    "",
    formatClassificationReport(report),
    "",
    "confusion matrix (rows: true label, columns: predicted)",
    formatConfusionMatrix(report),
  ];
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

exitQuietlyWhenStdoutCloses();
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
