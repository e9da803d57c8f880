import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import type { SentimentScorer, ServedModelInfo } from "./sentiment.js";

/** The metadata plus how the service uses it: backend, classes and the label rule in use. */
function describe(model: ServedModelInfo) {
  return {
    ...model.metadata,
    classes: model.metadata.classes ?? null,
    backend: model.backend,
    labelRule: model.labelRule,
    labelThresholds: model.thresholds,
  };
}

/** GET /models and GET /models/{name}: the served model's metadata, metrics and backend. */
export function modelRoutes(scorer: Pick<SentimentScorer, "model">): Hono<AppEnv> {
  const served = (): ServedModelInfo => {
    if (!scorer.model)
      throw new ApiError(503, "model_not_ready", "The model is still loading.", {
        "Retry-After": "1",
      });
    return scorer.model;
  };
  return new Hono<AppEnv>()
    .get("/models", (c) => c.json({ models: [describe(served())] }))
    .get("/models/:name", (c) => {
      const model = served();
      if (c.req.param("name") !== model.metadata.name) {
        throw new ApiError(
          404,
          "model_not_found",
          `No model named "${c.req.param("name")}" is served.`,
        );
      }
      return c.json(describe(model));
    });
}
