import { Hono } from "hono";
import type { LabelRule, Prediction } from "../../model/inference.js";
import type { ModelMetadata, Thresholds } from "../../model/metadata.js";
import type { AppEnv } from "../env.js";
import { readJsonBody } from "../json-body.js";
import {
  type BatchSentimentResponse,
  type RequestLimits,
  requestSchemas,
  type SentimentResponse,
} from "../schemas.js";

/** The model a scorer is serving, as the HTTP layer describes it. */
export interface ServedModelInfo {
  readonly directory: string;
  readonly backend: string;
  readonly metadata: ModelMetadata;
  /** The rule labels come from, and the thresholds the `thresholds` rule cuts at. */
  readonly labelRule: LabelRule;
  readonly thresholds: Thresholds;
}

/** What the sentiment routes need from the serving engine. */
export interface SentimentScorer {
  score(texts: readonly string[]): Promise<{ predictions: Prediction[]; model: ServedModelInfo }>;
  readonly model: ServedModelInfo | undefined;
}

/** Called once per scored text, after the response is computed (the prediction log). */
export type ScoredTextListener = (event: {
  requestId: string;
  issuer: string;
  subject: string;
  text: string;
  prediction: Prediction;
  model: ServedModelInfo;
  latencyMs: number;
}) => void;

/** Tells the listener about each scored text of a request (after the answer is computed). */
export function reportScoredTexts(
  onScored: ScoredTextListener,
  vars: AppEnv["Variables"],
  texts: readonly string[],
  predictions: readonly Prediction[],
  model: ServedModelInfo,
  started: number,
): void {
  const latencyMs = performance.now() - started;
  texts.forEach((text, index) => {
    const prediction = predictions[index];
    if (prediction === undefined) return;
    onScored({
      requestId: vars.requestId,
      issuer: vars.asap.iss,
      subject: vars.asap.sub,
      text,
      prediction,
      model,
      latencyMs,
    });
  });
}

const seconds = (since: number) => Math.round(performance.now() - since) / 1000;

/** POST /sentiment and POST /sentiment/batch. */
export function sentimentRoutes(
  scorer: SentimentScorer,
  limits: RequestLimits,
  onScored: ScoredTextListener = () => {},
): Hono<AppEnv> {
  const schemas = requestSchemas(limits);
  return new Hono<AppEnv>()
    .post("/sentiment", async (c) => {
      const started = performance.now();
      const { text } = await readJsonBody(c, schemas.sentiment);
      const { predictions, model } = await scorer.score([text]);
      const [prediction] = predictions as [Prediction];
      reportScoredTexts(onScored, c.var, [text], predictions, model, started);
      const body: SentimentResponse = {
        label: prediction.label,
        score: prediction.score,
        probabilities: prediction.probabilities,
        elapsed_time: seconds(started),
        model: { name: model.metadata.name, version: model.metadata.version },
      };
      return c.json(body);
    })
    .post("/sentiment/batch", async (c) => {
      const started = performance.now();
      const { texts } = await readJsonBody(c, schemas.batch);
      const { predictions, model } = await scorer.score(texts);
      reportScoredTexts(onScored, c.var, texts, predictions, model, started);
      const body: BatchSentimentResponse = {
        results: predictions.map(({ label, score, probabilities }) => ({
          label,
          score,
          probabilities,
        })),
        elapsed_time: seconds(started),
        model: { name: model.metadata.name, version: model.metadata.version },
      };
      return c.json(body);
    });
}
