import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ClassProbabilities,
  labelForProbabilities,
  labelForScore,
  normaliseProbabilities,
  probabilitiesOfBinaryScore,
  type SentimentLabel,
  scoreOfProbabilities,
} from "../../src/model/labels.js";
import { DEFAULT_THRESHOLDS, type Thresholds } from "../../src/model/metadata.js";

/** The notebook's rule exactly as the service applied it before 3-class models (kept verbatim). */
function notebookLabel(score: number, thresholds: Thresholds): SentimentLabel {
  if (score < thresholds.negativeBelow) return "NEGATIVE";
  if (score > thresholds.positiveAbove) return "POSITIVE";
  return "NEUTRAL";
}

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const thresholds = fc
  .tuple(unit, unit)
  .map(([a, b]): Thresholds => ({ negativeBelow: Math.min(a, b), positiveAbove: Math.max(a, b) }));
/** Raw model outputs, including exact ties, zeros and tiny values. */
const output = fc.oneof(
  unit,
  fc.constantFrom(0, 1, 0.5, 1 / 3, 1e-30),
  fc.double({ min: 0, max: 1e-6, noNaN: true }),
);
/** Positive and negative a few ulps apart: where rounding can put the score at exactly 0.5. */
const nearTie = fc
  .tuple(fc.double({ min: 1e-300, max: 1, noNaN: true }), fc.integer({ min: -4, max: 4 }), output)
  .map(([x, ulps, u]) => {
    const y = x * (1 + ulps * Number.EPSILON);
    return normaliseProbabilities(x, u, y);
  });
const probabilities = fc.oneof(
  fc.tuple(output, output, output).map(([n, u, p]) => normaliseProbabilities(n, u, p)),
  nearTie,
);
const sum = (p: ClassProbabilities) => p.negative + p.neutral + p.positive;

describe("labelForScore (the thresholds rule)", () => {
  it("gives exactly the notebook rule's label for any score and the default 0.4 / 0.7", () => {
    fc.assert(
      fc.property(unit, (score) => {
        expect(labelForScore(score, DEFAULT_THRESHOLDS)).toBe(
          notebookLabel(score, DEFAULT_THRESHOLDS),
        );
      }),
      { numRuns: 5000 },
    );
  });

  it("gives exactly the notebook rule's label for any overridden thresholds", () => {
    fc.assert(
      fc.property(unit, thresholds, (score, t) => {
        expect(labelForScore(score, t)).toBe(notebookLabel(score, t));
      }),
      { numRuns: 5000 },
    );
  });

  it("keeps the cut points where they were: 0.4 and 0.7 themselves are NEUTRAL", () => {
    expect(labelForScore(0.4, DEFAULT_THRESHOLDS)).toBe("NEUTRAL");
    expect(labelForScore(0.7, DEFAULT_THRESHOLDS)).toBe("NEUTRAL");
    expect(labelForScore(0.3999999, DEFAULT_THRESHOLDS)).toBe("NEGATIVE");
    expect(labelForScore(0.7000001, DEFAULT_THRESHOLDS)).toBe("POSITIVE");
  });
});

describe("labelForProbabilities and scoreOfProbabilities (the model rule)", () => {
  it("never contradict: POSITIVE implies score > 0.5, NEGATIVE implies score < 0.5", () => {
    fc.assert(
      fc.property(probabilities, (p) => {
        const label = labelForProbabilities(p);
        const score = scoreOfProbabilities(p);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
        if (label === "POSITIVE") expect(score).toBeGreaterThan(0.5);
        if (label === "NEGATIVE") expect(score).toBeLessThan(0.5);
      }),
      { numRuns: 50_000 },
    );
  });

  it("answers NEUTRAL when the polar lead is too small to move the score off 0.5", () => {
    const p = { negative: 0.49999999999999994, neutral: 0, positive: 0.5 };
    expect(scoreOfProbabilities(p)).toBe(0.5);
    expect(labelForProbabilities(p)).toBe("NEUTRAL");
    // Mirrored, the rounding goes the other way: the score is below 0.5, so NEGATIVE is fine.
    const mirrored = { negative: 0.5, neutral: 0, positive: 0.49999999999999994 };
    expect(scoreOfProbabilities(mirrored)).toBeLessThan(0.5);
    expect(labelForProbabilities(mirrored)).toBe("NEGATIVE");
  });

  it("picks the most probable class, and NEUTRAL on any tie", () => {
    expect(labelForProbabilities({ negative: 0.2, neutral: 0.3, positive: 0.5 })).toBe("POSITIVE");
    expect(labelForProbabilities({ negative: 0.5, neutral: 0.3, positive: 0.2 })).toBe("NEGATIVE");
    expect(labelForProbabilities({ negative: 0.2, neutral: 0.6, positive: 0.2 })).toBe("NEUTRAL");
    expect(labelForProbabilities({ negative: 0.4, neutral: 0.2, positive: 0.4 })).toBe("NEUTRAL");
    expect(labelForProbabilities({ negative: 0.1, neutral: 0.45, positive: 0.45 })).toBe("NEUTRAL");
  });

  it("scores positive / (positive + negative), and 0.5 when neither has any mass", () => {
    expect(scoreOfProbabilities({ negative: 0.1, neutral: 0.6, positive: 0.3 })).toBeCloseTo(0.75);
    expect(scoreOfProbabilities({ negative: 0, neutral: 1, positive: 0 })).toBe(0.5);
  });
});

describe("normaliseProbabilities", () => {
  it("returns probabilities in [0, 1] that sum to 1 within 1e-12, whatever the outputs", () => {
    const anything = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -1, 0));
    fc.assert(
      fc.property(anything, anything, anything, (n, u, p) => {
        const q = normaliseProbabilities(n, u, p);
        expect(Math.abs(sum(q) - 1)).toBeLessThan(1e-12);
        for (const v of [q.negative, q.neutral, q.positive]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("turns an all-zero or all-NaN output into certain NEUTRAL", () => {
    expect(normaliseProbabilities(0, 0, 0)).toEqual({ negative: 0, neutral: 1, positive: 0 });
    expect(normaliseProbabilities(Number.NaN, Number.NaN, Number.NaN)).toEqual({
      negative: 0,
      neutral: 1,
      positive: 0,
    });
  });
});

describe("probabilitiesOfBinaryScore", () => {
  it("puts the score on positive, its complement on negative and nothing on neutral", () => {
    fc.assert(
      fc.property(unit, (score) => {
        const p = probabilitiesOfBinaryScore(score);
        expect(p.positive).toBe(score);
        expect(p.neutral).toBe(0);
        expect(Math.abs(sum(p) - 1)).toBeLessThan(1e-12);
        expect(scoreOfProbabilities(p)).toBeCloseTo(score, 12);
      }),
    );
  });
});
