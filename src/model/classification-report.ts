import type { GoldLabel } from "./labelled-data.js";
import { labelForScore, type SentimentLabel } from "./labels.js";
import type { ClassMetrics, EvaluationReport, Thresholds } from "./metadata.js";

const BINARY_LABELS = ["NEGATIVE", "POSITIVE"] as const;
const THREE_CLASS_LABELS = ["NEGATIVE", "NEUTRAL", "POSITIVE"] as const;

/**
 * Scores against gold labels. Binary sets: POSITIVE iff score >= 0.5 (the notebook's cut; no
 * NEUTRAL band, so every prediction is one of the two classes). 3-class sets: the thresholds.
 */
export function evaluateScores(
  scores: ArrayLike<number>,
  gold: readonly GoldLabel[],
  task: "binary" | "3class",
  thresholds: Thresholds,
): EvaluationReport {
  return evaluatePredictions(
    Array.from(scores, (score) => ({ score, label: labelForScore(score, thresholds) })),
    gold,
    task,
  );
}

/**
 * Scores predictions against gold labels. Binary sets: POSITIVE iff score >= 0.5. 3-class sets:
 * the predictions' own labels (whichever label rule gave them).
 */
export function evaluatePredictions(
  predictions: readonly { score: number; label: SentimentLabel }[],
  gold: readonly GoldLabel[],
  task: "binary" | "3class",
): EvaluationReport {
  const labels: readonly string[] = task === "binary" ? BINARY_LABELS : THREE_CLASS_LABELS;
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  let logLoss = 0;
  for (let i = 0; i < gold.length; i++) {
    const prediction = predictions[i];
    if (prediction === undefined) throw new Error(`no prediction for row ${i}`);
    const score = prediction.score;
    const truth = index.get((gold[i] as GoldLabel).toUpperCase());
    if (truth === undefined) throw new Error(`label ${gold[i]} does not belong to a ${task} set`);
    const predicted =
      task === "binary" ? (score >= 0.5 ? 1 : 0) : (index.get(prediction.label) as number);
    const row = matrix[truth] as number[];
    row[predicted] = (row[predicted] as number) + 1;
    if (task === "binary") {
      const p = Math.min(Math.max(score, 1e-7), 1 - 1e-7);
      logLoss -= truth === 1 ? Math.log(p) : Math.log(1 - p);
    }
  }
  const n = gold.length;
  const classes: Record<string, ClassMetrics> = {};
  let correct = 0;
  labels.forEach((label, c) => {
    const row = matrix[c] as number[];
    const tp = row[c] as number;
    correct += tp;
    const support = row.reduce((a, b) => a + b, 0);
    const predictedCount = matrix.reduce((a, r) => a + (r[c] as number), 0);
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    classes[label] = { precision, recall, f1, support };
  });
  const average = (weighted: boolean): ClassMetrics => {
    const list = Object.values(classes);
    const weightOf = (m: ClassMetrics) => (weighted ? m.support / Math.max(1, n) : 1 / list.length);
    const sum = (f: (m: ClassMetrics) => number) =>
      list.reduce((a, m) => a + f(m) * weightOf(m), 0);
    return {
      precision: sum((m) => m.precision),
      recall: sum((m) => m.recall),
      f1: sum((m) => m.f1),
      support: n,
    };
  };
  const report: EvaluationReport = {
    task,
    n,
    accuracy: n === 0 ? 0 : correct / n,
    classes,
    macroAvg: average(false),
    weightedAvg: average(true),
    confusion: { labels: [...labels], matrix },
  };
  if (task === "binary") report.logLoss = n === 0 ? 0 : logLoss / n;
  return report;
}

/** The report as scikit-learn's classification_report prints it (two decimals). */
export function formatClassificationReport(report: EvaluationReport): string {
  const names = [...Object.keys(report.classes), "weighted avg"];
  const width = Math.max(...names.map((s) => s.length), 12);
  const f = (x: number) => x.toFixed(2).padStart(10);
  const s = (x: number) => String(x).padStart(10);
  const lines = [
    `${"".padStart(width)}${"precision".padStart(10)}${"recall".padStart(10)}${"f1-score".padStart(10)}${"support".padStart(10)}`,
    "",
  ];
  for (const [name, m] of Object.entries(report.classes)) {
    lines.push(`${name.padStart(width)}${f(m.precision)}${f(m.recall)}${f(m.f1)}${s(m.support)}`);
  }
  lines.push("");
  lines.push(`${"accuracy".padStart(width)}${"".padStart(20)}${f(report.accuracy)}${s(report.n)}`);
  const avg = (name: string, m: ClassMetrics) =>
    `${name.padStart(width)}${f(m.precision)}${f(m.recall)}${f(m.f1)}${s(m.support)}`;
  lines.push(avg("macro avg", report.macroAvg));
  lines.push(avg("weighted avg", report.weightedAvg));
  return lines.join("\n");
}

/** The confusion matrix with true labels as rows and predicted labels as columns. */
export function formatConfusionMatrix(report: EvaluationReport): string {
  const { labels, matrix } = report.confusion;
  const width = Math.max(...labels.map((l) => l.length), 8) + 2;
  const header = `${"true \\ predicted".padEnd(18)}${labels.map((l) => l.padStart(width)).join("")}`;
  const rows = labels.map(
    (l, i) => `${l.padEnd(18)}${(matrix[i] ?? []).map((v) => String(v).padStart(width)).join("")}`,
  );
  return [header, ...rows].join("\n");
}
