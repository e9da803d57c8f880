import { z } from "zod";
import { PreprocessSettingsSchema } from "./preprocess.js";

export const ThresholdsSchema = z
  .object({
    /** score < negativeBelow -> NEGATIVE */
    negativeBelow: z.number().min(0).max(1),
    /** score > positiveAbove -> POSITIVE; in between NEUTRAL */
    positiveAbove: z.number().min(0).max(1),
  })
  .refine((t) => t.negativeBelow <= t.positiveAbove, {
    message: "negativeBelow must not exceed positiveAbove",
  });
export type Thresholds = z.infer<typeof ThresholdsSchema>;

export const DEFAULT_THRESHOLDS: Thresholds = { negativeBelow: 0.4, positiveAbove: 0.7 };

export const ClassMetricsSchema = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int(),
});
export type ClassMetrics = z.infer<typeof ClassMetricsSchema>;

/** Evaluation of one labelled set, as printed by scikit-learn's classification_report. */
export const EvaluationReportSchema = z.object({
  /** "binary": label = score >= 0.5; "3class": labels from the thresholds. */
  task: z.enum(["binary", "3class"]),
  n: z.number().int(),
  accuracy: z.number(),
  classes: z.record(z.string(), ClassMetricsSchema),
  macroAvg: ClassMetricsSchema,
  weightedAvg: ClassMetricsSchema,
  /** confusion.matrix[true][predicted], rows and columns in `labels` order. */
  confusion: z.object({ labels: z.array(z.string()), matrix: z.array(z.array(z.number().int())) }),
  /** Binary sets only: mean binary cross-entropy of the scores. */
  logLoss: z.number().optional(),
});
export type EvaluationReport = z.infer<typeof EvaluationReportSchema>;

export const DataFileSchema = z.object({
  /** "train", "validation" or "evaluation" */
  role: z.enum(["train", "validation", "evaluation"]),
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Rows used from this file for this role. */
  rows: z.number().int(),
  note: z.string().optional(),
});
export type DataFile = z.infer<typeof DataFileSchema>;

export const ModelMetadataSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  /** ISO-8601 creation time. */
  created: z.string(),
  description: z.string(),
  architecture: z.string(),
  vocabularySize: z.number().int().positive(),
  data: z.array(DataFileSchema),
  preprocessing: PreprocessSettingsSchema,
  hyperParameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  thresholds: ThresholdsSchema,
  classes: z.array(z.enum(["NEGATIVE", "NEUTRAL", "POSITIVE"])).optional(),
  training: z.object({
    epochsRun: z.number().int(),
    bestEpoch: z.number(),
    seconds: z.number(),
    trainRows: z.number().int(),
    validationRows: z.number().int(),
    history: z
      .array(
        z.object({
          epoch: z.number(),
          trainLoss: z.number(),
          trainAccuracy: z.number(),
          validationLoss: z.number(),
          validationAccuracy: z.number(),
        }),
      )
      .optional(),
  }),
  /** Metrics per evaluation set, keyed by a short set name (e.g. "s140_manual_binary"). */
  metrics: z.record(z.string(), EvaluationReportSchema),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;
