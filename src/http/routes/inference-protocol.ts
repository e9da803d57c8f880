// The model served through the Open Inference Protocol v2 REST API (KServe, Triton, Seldon
// MLServer), so standard inference clients work with a bearer header. The model takes one BYTES
// tensor of texts ("text", shape [-1]) and returns an FP32 "score" (probability of positive), a
// BYTES "label" tensor of the same length and an FP32 "probabilities" tensor of shape [N, 3]
// (negative, neutral, positive; row-major in `data`, as the protocol flattens tensors).
//
// Deliberate choices:
// - Health probes (/v2/health/live, /v2/health/ready) are unauthenticated, like /healthz and
//   /readyz: orchestrators and client libraries call them without credentials. Everything else
//   (server metadata, model metadata, model readiness, inference) needs an ASAP token.
// - Errors use the protocol's body, {"error": "<message>"}, which clients display; our stable
//   `code` and the `request_id` ride along as extra members (the protocol allows extra fields).
// - Health false answers 400, as the protocol says (200 = true, 4xx = false).
// - The binary tensor extension is not supported (and not advertised): JSON tensors only.
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Prediction } from "../../model/inference.js";
import type { AppEnv } from "../env.js";
import { ApiError, toApiError } from "../errors.js";
import { checkBodyEncoding, JSON_MEDIA_TYPE } from "../json-body.js";
import { bodySizeLimit } from "../middleware/body-size-limit.js";
import { type RequestLimits, textSchema } from "../schemas.js";
import {
  reportScoredTexts,
  type ScoredTextListener,
  type SentimentScorer,
  type ServedModelInfo,
} from "./sentiment.js";

export const TEXT_INPUT = "text";
export const OUTPUT_NAMES = ["score", "label", "probabilities"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export interface InferenceProtocolOptions {
  /** The ASAP middleware; it guards every /v2 route except the health probes. */
  readonly auth: MiddlewareHandler<AppEnv>;
  /** Per-issuer rate limiting, run after `auth` (the same limiter as /v1). */
  readonly rateLimit?: MiddlewareHandler<AppEnv> | undefined;
  readonly limits: RequestLimits & { readonly bodyLimitBytes: number };
  /** Whether the server takes traffic (the same answer as /readyz). */
  readonly isReady: () => boolean;
  /** Server metadata (GET /v2). */
  readonly server: { readonly name: string; readonly version: string };
  /** The name clients address the model by, stable across model versions. Default "sentiment". */
  readonly modelName?: string;
  /** Called once per scored text, like the /v1 routes (the prediction log). */
  readonly onScored?: ScoredTextListener;
  /** Told about unexpected errors (answered 500), as the app's own error handler logs them. */
  readonly onInternalError?: (error: unknown, requestId: string) => void;
}

/** The protocol's error body plus our stable code and request id. */
export interface InferenceErrorBody {
  error: string;
  code: string;
  request_id: string;
}

const parameters = z.record(z.string(), z.unknown());

/** $inference_request from the protocol (structure only; tensor rules are checked after). */
export const inferenceRequestSchema = z.object({
  id: z.string().optional(),
  parameters: parameters.optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().min(0)),
        datatype: z.string(),
        parameters: parameters.optional(),
        data: z.array(z.unknown()),
      }),
    )
    .min(1),
  outputs: z.array(z.object({ name: z.string(), parameters: parameters.optional() })).optional(),
});
export type InferenceRequest = z.infer<typeof inferenceRequestSchema>;

export interface TensorOutput {
  name: OutputName;
  shape: [number] | [number, number];
  datatype: "FP32" | "BYTES";
  data: number[] | string[];
}

export interface InferenceResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: TensorOutput[];
}

const badRequest = (code: string, message: string) => new ApiError(400, code, message);

/**
 * Checks a parsed request against the model's signature and the request limits; returns the texts
 * and the outputs to send back (all, in model order, unless the request names some).
 */
export function textsOfInferenceRequest(
  request: InferenceRequest,
  limits: RequestLimits,
): { texts: string[]; outputs: OutputName[] } {
  const unexpected = request.inputs.find((input) => input.name !== TEXT_INPUT);
  if (unexpected !== undefined || request.inputs.length !== 1) {
    const names = request.inputs.map((input) => JSON.stringify(input.name)).join(", ");
    throw badRequest(
      "invalid_input_tensor",
      `the model takes exactly one input, "${TEXT_INPUT}"; got ${names}`,
    );
  }
  const input = request.inputs[0] as InferenceRequest["inputs"][number];
  if (input.datatype !== "BYTES") {
    throw badRequest(
      "invalid_input_tensor",
      `input "${TEXT_INPUT}" must have datatype BYTES, not ${JSON.stringify(input.datatype)}`,
    );
  }
  const [length, ...rest] = input.shape;
  if (length === undefined || rest.length > 0) {
    throw badRequest(
      "invalid_input_tensor",
      `input "${TEXT_INPUT}" must have shape [N] (one dimension), not ${JSON.stringify(input.shape)}`,
    );
  }
  if (length !== input.data.length) {
    throw badRequest(
      "invalid_input_tensor",
      `input "${TEXT_INPUT}" has shape [${length}] but ${input.data.length} data elements`,
    );
  }
  if (length === 0) {
    throw badRequest("invalid_input_tensor", `input "${TEXT_INPUT}" must hold at least one text`);
  }
  if (length > limits.maxBatchTexts) {
    throw badRequest(
      "too_many_texts",
      `input "${TEXT_INPUT}" holds ${length} texts; the limit is ${limits.maxBatchTexts}`,
    );
  }
  const text = textSchema(limits);
  const texts = input.data.map((element, index) => {
    const checked = text.safeParse(element);
    if (!checked.success) {
      throw badRequest(
        "invalid_input_tensor",
        `input "${TEXT_INPUT}" element ${index}: ${checked.error.issues[0]?.message ?? "invalid"}`,
      );
    }
    return checked.data;
  });

  const requested = request.outputs ?? [];
  for (const output of requested) {
    if (!(OUTPUT_NAMES as readonly string[]).includes(output.name)) {
      throw badRequest(
        "unknown_output",
        `the model has no output ${JSON.stringify(output.name)}; its outputs are ${OUTPUT_NAMES.join(", ")}`,
      );
    }
  }
  const outputs =
    requested.length === 0
      ? [...OUTPUT_NAMES]
      : [...new Set(requested.map((output) => output.name as OutputName))];
  return { texts, outputs };
}

/** The response tensors for `predictions`, in the order of `outputs`. */
export function outputTensors(
  predictions: readonly Prediction[],
  outputs: readonly OutputName[],
): TensorOutput[] {
  const shape: [number] = [predictions.length];
  return outputs.map((name): TensorOutput => {
    if (name === "score") {
      return { name, shape, datatype: "FP32", data: predictions.map((p) => p.score) };
    }
    if (name === "label") {
      return { name, shape, datatype: "BYTES", data: predictions.map((p) => p.label) };
    }
    return {
      name,
      shape: [predictions.length, 3],
      datatype: "FP32",
      data: predictions.flatMap(({ probabilities: p }) => [p.negative, p.neutral, p.positive]),
    };
  });
}

async function readInferenceRequest(c: Context<AppEnv>): Promise<InferenceRequest> {
  if (c.req.header("inference-header-content-length") !== undefined) {
    throw badRequest(
      "unsupported_extension",
      "the binary tensor data extension is not supported; send JSON tensors",
    );
  }
  // Protocol clients do not all send a Content-Type; anything declared must be JSON.
  const contentType = c.req.header("content-type");
  if (contentType !== undefined && contentType !== "" && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new ApiError(415, "unsupported_media_type", "the body must be JSON");
  }
  checkBodyEncoding(c, contentType);
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw badRequest("invalid_json", "the body is not valid JSON");
  }
  const parsed = inferenceRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join(".") || "(body)";
    throw badRequest("invalid_request", `${path}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** Open Inference Protocol v2 routes, to mount at "/" (paths start with /v2). */
export function inferenceProtocolRoutes(
  scorer: SentimentScorer,
  options: InferenceProtocolOptions,
): Hono<AppEnv> {
  const modelName = options.modelName ?? "sentiment";
  const onScored = options.onScored ?? (() => {});
  const { limits } = options;

  const servedModel = (): ServedModelInfo => {
    if (scorer.model === undefined) {
      throw new ApiError(503, "model_not_ready", "the model is still loading", {
        "Retry-After": "1",
      });
    }
    return scorer.model;
  };
  const checkName = (name: string) => {
    if (name !== modelName) {
      throw new ApiError(404, "model_not_found", `unknown model ${JSON.stringify(name)}`);
    }
  };
  const versionNotFound = (version: string, served: string) =>
    new ApiError(
      404,
      "model_version_not_found",
      `model "${modelName}" has no version ${JSON.stringify(version)} (serving ${served})`,
    );
  /** The served model if `name` (and `version`, when given) address it; else 404. */
  const addressed = (name: string, version: string | undefined): ServedModelInfo => {
    checkName(name);
    const model = servedModel();
    if (version !== undefined && version !== model.metadata.version) {
      throw versionNotFound(version, model.metadata.version);
    }
    return model;
  };

  const modelMetadata = (c: Context<AppEnv>) => {
    const model = addressed(c.req.param("model") ?? "", c.req.param("version"));
    return c.json({
      name: modelName,
      versions: [model.metadata.version],
      platform: "tensorflowjs",
      inputs: [{ name: TEXT_INPUT, datatype: "BYTES", shape: [-1] }],
      outputs: [
        { name: "score", datatype: "FP32", shape: [-1] },
        { name: "label", datatype: "BYTES", shape: [-1] },
        { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
      ],
    });
  };

  const modelReady = (c: Context<AppEnv>) => {
    checkName(c.req.param("model") ?? "");
    const version = c.req.param("version");
    const current = scorer.model?.metadata.version;
    if (version !== undefined && current !== undefined && version !== current) {
      throw versionNotFound(version, current);
    }
    const ready = current !== undefined && options.isReady();
    return c.json({ name: modelName, ready }, ready ? 200 : 400);
  };

  const infer = async (c: Context<AppEnv>) => {
    const started = performance.now();
    const version = c.req.param("version");
    addressed(c.req.param("model") ?? "", version);
    const request = await readInferenceRequest(c);
    const { texts, outputs } = textsOfInferenceRequest(request, limits);
    const { predictions, model } = await scorer.score(texts);
    if (version !== undefined && model.metadata.version !== version) {
      // A reload switched versions while this request was queued.
      throw versionNotFound(version, model.metadata.version);
    }
    reportScoredTexts(onScored, c.var, texts, predictions, model, started);
    const body: InferenceResponse = {
      model_name: modelName,
      model_version: model.metadata.version,
      id: request.id ?? c.var.requestId,
      outputs: outputTensors(predictions, outputs),
    };
    return c.json(body);
  };

  const limitBody = bodySizeLimit(limits.bodyLimitBytes);

  const app = new Hono<AppEnv>();
  app.get("/v2/health/live", (c) => c.json({ live: true }));
  app.get("/v2/health/ready", (c) => {
    const ready = options.isReady();
    return c.json({ ready }, ready ? 200 : 400);
  });

  for (const path of ["/v2", "/v2/models/*"]) {
    app.use(path, options.auth);
    if (options.rateLimit) app.use(path, options.rateLimit);
  }
  app.get("/v2", (c) =>
    c.json({ name: options.server.name, version: options.server.version, extensions: [] }),
  );
  app.get("/v2/models/:model", modelMetadata);
  app.get("/v2/models/:model/versions/:version", modelMetadata);
  app.get("/v2/models/:model/ready", modelReady);
  app.get("/v2/models/:model/versions/:version/ready", modelReady);
  app.post("/v2/models/:model/infer", limitBody, infer);
  app.post("/v2/models/:model/versions/:version/infer", limitBody, infer);
  app.all("/v2/*", (c) => {
    throw new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`);
  });

  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.code === "internal_error") options.onInternalError?.(error, c.get("requestId"));
    const body: InferenceErrorBody = {
      error: apiError.message,
      code: apiError.code,
      request_id: c.get("requestId"),
    };
    for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
    return c.json(body, apiError.status);
  });
  return app;
}
