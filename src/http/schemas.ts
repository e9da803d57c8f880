import { z } from "zod";

/** Request limits that shape the request schemas. */
export interface RequestLimits {
  /** Most characters (Unicode code points) in one text. */
  readonly maxTextLength: number;
  /** Most texts in one batch request. */
  readonly maxBatchTexts: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxTextLength: 5000, maxBatchTexts: 512 };

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/** A text to score: a non-blank string of at most `maxTextLength` characters. */
export function textSchema(limits: RequestLimits) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
    .refine((text) => text.trim().length > 0, { error: "must not be empty or blank" })
    .refine((text) => codePoints(text) <= limits.maxTextLength, {
      error: `must be at most ${limits.maxTextLength} characters`,
    });
}

/** A wrong body type gets a plain message; other object issues (unknown keys) keep zod's. */
const objectError = (issue: { code?: string }) =>
  issue.code === "invalid_type" ? "must be a JSON object" : undefined;

/**
 * Plain-code checks of a request schema's common case, for the request path: each accepts only
 * bodies its schema accepts unchanged (test/http/schemas.test.ts checks this), so a body it
 * accepts needs no zod pass (a tenth of the cost). Anything else goes through the schema, which
 * stays the one definition of the request and of every error message.
 */
const quickChecks = new WeakMap<z.ZodType, (body: unknown) => boolean>();

/** The quick check registered for `schema`, if any (see quickChecks). */
export function quickCheckOf(schema: z.ZodType): ((body: unknown) => boolean) | undefined {
  return quickChecks.get(schema);
}

/** True for a JSON object whose only key is `key`. */
function hasOnlyKey(body: unknown, key: string): body is Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  let keys = 0;
  for (const name in body) {
    if (name !== key) return false;
    keys++;
  }
  return keys === 1;
}

/** A text the schema accepts: UTF-16 length bounds the code points, so longer ones go to zod. */
function isQuickText(text: unknown, limits: RequestLimits): boolean {
  return typeof text === "string" && text.length <= limits.maxTextLength && text.trim().length > 0;
}

/** Request schemas for the given limits; the single source of request types and docs. */
export function requestSchemas(limits: RequestLimits = DEFAULT_REQUEST_LIMITS) {
  const schemas = buildRequestSchemas(limits);
  quickChecks.set(
    schemas.sentiment,
    (body) => hasOnlyKey(body, "text") && isQuickText(body.text, limits),
  );
  quickChecks.set(schemas.batch, (body) => {
    if (!hasOnlyKey(body, "texts")) return false;
    const { texts } = body;
    if (!Array.isArray(texts) || texts.length < 1 || texts.length > limits.maxBatchTexts) {
      return false;
    }
    for (const text of texts) if (!isQuickText(text, limits)) return false;
    return true;
  });
  return schemas;
}

function buildRequestSchemas(limits: RequestLimits) {
  const text = textSchema(limits);
  return {
    sentiment: z.strictObject({ text }, { error: objectError }),
    batch: z.strictObject(
      {
        texts: z
          .array(text, {
            error: (issue) =>
              issue.input === undefined ? "is required" : "must be an array of strings",
          })
          .min(1, { error: "must hold at least one text" })
          .max(limits.maxBatchTexts, { error: `must hold at most ${limits.maxBatchTexts} texts` }),
      },
      { error: objectError },
    ),
  };
}

export type SentimentRequest = z.infer<ReturnType<typeof requestSchemas>["sentiment"]>;
export type BatchSentimentRequest = z.infer<ReturnType<typeof requestSchemas>["batch"]>;

export const labelSchema = z.enum(["NEGATIVE", "NEUTRAL", "POSITIVE"]);

export const modelRefSchema = z.object({ name: z.string(), version: z.string() });

const probability = z.number().min(0).max(1);

export const probabilitiesSchema = z
  .object({ negative: probability, neutral: probability, positive: probability })
  .describe(
    "The three classes' probabilities; they sum to 1. A binary (legacy) model has no neutral class: neutral is 0, positive is the score and negative 1 - score.",
  );

export const predictionSchema = z.object({
  label: labelSchema.describe(
    "The most probable class of a 3-class model (label rule `model`), or the score cut at the thresholds (label rule `thresholds`, always for a binary model).",
  ),
  score: probability.describe(
    "Probability that the text is positive rather than negative: positive / (positive + negative).",
  ),
  probabilities: probabilitiesSchema,
});

export const sentimentResponseSchema = predictionSchema.extend({
  /** Seconds the service spent on this request. */
  elapsed_time: z.number(),
  model: modelRefSchema,
});

export const batchSentimentResponseSchema = z.object({
  results: z.array(predictionSchema),
  elapsed_time: z.number(),
  model: modelRefSchema,
});

export type SentimentResponse = z.infer<typeof sentimentResponseSchema>;
export type BatchSentimentResponse = z.infer<typeof batchSentimentResponseSchema>;
