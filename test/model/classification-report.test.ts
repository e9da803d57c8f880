import { describe, expect, it } from "vitest";
import {
  evaluatePredictions,
  evaluateScores,
  formatClassificationReport,
  formatConfusionMatrix,
} from "../../src/model/classification-report.js";
import { DEFAULT_THRESHOLDS } from "../../src/model/metadata.js";

describe("evaluateScores", () => {
  it("cuts binary sets at 0.5 and computes per-class precision, recall and F1", () => {
    // gold: neg neg pos pos pos; predicted: neg pos pos pos neg
    const report = evaluateScores(
      [0.1, 0.5, 0.9, 0.6, 0.49],
      ["negative", "negative", "positive", "positive", "positive"],
      "binary",
      DEFAULT_THRESHOLDS,
    );
    expect(report.accuracy).toBeCloseTo(3 / 5, 10);
    expect(report.confusion.matrix).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(report.classes.POSITIVE).toMatchObject({ support: 3 });
    expect(report.classes.POSITIVE?.precision).toBeCloseTo(2 / 3, 10);
    expect(report.classes.POSITIVE?.recall).toBeCloseTo(2 / 3, 10);
    expect(report.classes.NEGATIVE?.precision).toBeCloseTo(1 / 2, 10);
    expect(report.macroAvg.f1).toBeCloseTo((2 / 3 + 1 / 2) / 2, 10);
    expect(report.weightedAvg.recall).toBeCloseTo(3 / 5, 10);
  });

  it("uses the thresholds for 3-class sets", () => {
    const report = evaluateScores(
      [0.39, 0.4, 0.7, 0.71],
      ["negative", "neutral", "neutral", "positive"],
      "3class",
      DEFAULT_THRESHOLDS,
    );
    expect(report.accuracy).toBe(1);
    expect(report.confusion.labels).toEqual(["NEGATIVE", "NEUTRAL", "POSITIVE"]);
  });

  it("reports zero precision for a class never predicted instead of dividing by zero", () => {
    const report = evaluateScores(
      [0.9, 0.9],
      ["negative", "positive"],
      "binary",
      DEFAULT_THRESHOLDS,
    );
    expect(report.classes.NEGATIVE?.precision).toBe(0);
    expect(report.classes.NEGATIVE?.f1).toBe(0);
  });

  it("computes the log loss of binary sets", () => {
    const report = evaluateScores(
      [0.8, 0.25],
      ["positive", "negative"],
      "binary",
      DEFAULT_THRESHOLDS,
    );
    expect(report.logLoss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.75)) / 2, 6);
  });

  it("rejects a neutral gold label in a binary evaluation", () => {
    expect(() => evaluateScores([0.5], ["neutral"], "binary", DEFAULT_THRESHOLDS)).toThrow();
  });
});

describe("formatClassificationReport", () => {
  it("prints the scikit-learn layout with classes, accuracy and averages", () => {
    const report = evaluateScores(
      [0.1, 0.9],
      ["negative", "positive"],
      "binary",
      DEFAULT_THRESHOLDS,
    );
    const lines = formatClassificationReport(report).split("\n");
    expect(lines[0]).toMatch(/precision\s+recall\s+f1-score\s+support$/);
    expect(lines.find((l) => l.trim().startsWith("NEGATIVE"))).toMatch(
      /1\.00\s+1\.00\s+1\.00\s+1$/,
    );
    expect(lines.find((l) => l.trim().startsWith("accuracy"))).toMatch(/1\.00\s+2$/);
    expect(lines.some((l) => l.trim().startsWith("macro avg"))).toBe(true);
    expect(lines.some((l) => l.trim().startsWith("weighted avg"))).toBe(true);
  });
});

describe("formatConfusionMatrix", () => {
  it("prints one row per true label", () => {
    const report = evaluateScores(
      [0.1, 0.9, 0.9],
      ["negative", "positive", "negative"],
      "binary",
      DEFAULT_THRESHOLDS,
    );
    const lines = formatConfusionMatrix(report).split("\n");
    expect(lines[1]).toMatch(/^NEGATIVE\s+1\s+1$/);
    expect(lines[2]).toMatch(/^POSITIVE\s+0\s+1$/);
  });
});

describe("evaluatePredictions", () => {
  it("takes 3-class labels from the predictions, whatever their scores", () => {
    // A 3-class model can say NEUTRAL at score 0.9 (little negative mass) or POSITIVE at 0.55.
    const report = evaluatePredictions(
      [
        { score: 0.9, label: "NEUTRAL" },
        { score: 0.55, label: "POSITIVE" },
        { score: 0.2, label: "NEGATIVE" },
        { score: 0.45, label: "NEUTRAL" },
      ],
      ["neutral", "positive", "negative", "negative"],
      "3class",
    );
    expect(report.accuracy).toBeCloseTo(3 / 4, 10);
    expect(report.classes.NEGATIVE?.recall).toBeCloseTo(1 / 2, 10);
    expect(report.classes.NEUTRAL?.recall).toBe(1);
    expect(report.macroAvg.recall).toBeCloseTo((1 / 2 + 1 + 1) / 3, 10);
  });

  it("still cuts binary sets at score 0.5, ignoring the labels", () => {
    const report = evaluatePredictions(
      [
        { score: 0.6, label: "NEUTRAL" },
        { score: 0.4, label: "NEUTRAL" },
      ],
      ["positive", "negative"],
      "binary",
    );
    expect(report.accuracy).toBe(1);
  });

  it("gives evaluateScores' report for labels from the thresholds", () => {
    const scores = [0.1, 0.39, 0.4, 0.55, 0.7, 0.71, 0.99];
    const gold = [
      "negative",
      "negative",
      "neutral",
      "neutral",
      "positive",
      "positive",
      "positive",
    ] as const;
    expect(
      evaluatePredictions(
        scores.map((score) => ({
          score,
          label: score < 0.4 ? "NEGATIVE" : score > 0.7 ? "POSITIVE" : "NEUTRAL",
        })),
        gold,
        "3class",
      ),
    ).toEqual(evaluateScores(scores, gold, "3class", DEFAULT_THRESHOLDS));
  });
});
