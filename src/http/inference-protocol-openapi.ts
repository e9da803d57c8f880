import { z } from "zod";
import type { OpenApiObject } from "./openapi.js";
import { ASAP_SECURITY } from "./openapi.js";
import { inferenceRequestSchema } from "./routes/inference-protocol.js";

const json = (schema: OpenApiObject) => ({ "application/json": { schema } });
const strip = ({ $schema: _dialect, ...rest }: Record<string, unknown>) => rest;

const tensorSchema = (
  name: string,
  datatype: "FP32" | "BYTES",
  items: OpenApiObject,
  rank = 1,
): OpenApiObject => ({
  type: "object",
  required: ["name", "shape", "datatype", "data"],
  properties: {
    name: { const: name },
    shape: { type: "array", items: { type: "integer" }, minItems: rank, maxItems: rank },
    datatype: { const: datatype },
    data: { type: "array", items },
  },
});

/** The protocol's error body (its `error` is a message), with our stable code and request id. */
const protocolError: OpenApiObject = {
  type: "object",
  required: ["error"],
  properties: {
    error: { type: "string", description: "Human-readable message (the protocol's field)." },
    code: { type: "string", description: "Stable machine code, as on /v1." },
    request_id: { type: "string" },
  },
};

const errors = (statuses: readonly number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: `Error ${status}`,
        content: json({ $ref: "#/components/schemas/InferenceError" }),
      },
    ]),
  );

/** Schemas the /v2 paths refer to. */
export function inferenceProtocolSchemas(): Record<string, OpenApiObject> {
  return {
    InferenceRequest: strip(
      z.toJSONSchema(inferenceRequestSchema, { target: "draft-2020-12", io: "input" }),
    ),
    InferenceResponse: {
      type: "object",
      required: ["model_name", "outputs"],
      properties: {
        model_name: { const: "sentiment" },
        model_version: { type: "string" },
        id: { type: "string" },
        outputs: {
          type: "array",
          items: {
            oneOf: [
              tensorSchema("score", "FP32", { type: "number", minimum: 0, maximum: 1 }),
              tensorSchema("label", "BYTES", { enum: ["NEGATIVE", "NEUTRAL", "POSITIVE"] }),
              {
                ...tensorSchema(
                  "probabilities",
                  "FP32",
                  { type: "number", minimum: 0, maximum: 1 },
                  2,
                ),
                description:
                  "Shape [N, 3]: negative, neutral, positive per text (sum 1), flattened row-major in `data`.",
              },
            ],
          },
        },
      },
    },
    InferenceError: protocolError,
  };
}

const authenticated = { security: ASAP_SECURITY, tags: ["open inference protocol v2"] };
const probe = { security: [], tags: ["open inference protocol v2"] };

/** The Open Inference Protocol v2 routes, for `buildOpenApiDocument({ extraPaths })`. */
export function inferenceProtocolPaths(): Record<string, Record<string, OpenApiObject>> {
  const infer = {
    post: {
      ...authenticated,
      operationId: "inferV2",
      summary:
        "Score texts: input `text` (BYTES, shape [N]) -> outputs `score` (FP32, [N]), `label` (BYTES, [N]) and `probabilities` (FP32, [N, 3])",
      requestBody: {
        required: true,
        content: json({ $ref: "#/components/schemas/InferenceRequest" }),
      },
      responses: {
        "200": {
          description: "One score, label and probability row per text, in input order",
          content: json({ $ref: "#/components/schemas/InferenceResponse" }),
        },
        ...errors([400, 401, 403, 404, 413, 415, 429, 503]),
      },
    },
  };
  const metadata = {
    get: {
      ...authenticated,
      operationId: "modelMetadataV2",
      summary: "Model metadata: name, versions, platform, input and output tensors",
      responses: {
        "200": { description: "Model metadata", content: json({ type: "object" }) },
        ...errors([401, 403, 404, 429]),
      },
    },
  };
  return {
    "/v2": {
      get: {
        ...authenticated,
        operationId: "serverMetadataV2",
        summary: "Server metadata",
        responses: {
          "200": { description: "name, version, extensions", content: json({ type: "object" }) },
          ...errors([401, 403, 429]),
        },
      },
    },
    "/v2/health/live": {
      get: {
        ...probe,
        operationId: "liveV2",
        summary: "Liveness",
        responses: { "200": { description: "Live" } },
      },
    },
    "/v2/health/ready": {
      get: {
        ...probe,
        operationId: "readyV2",
        summary: "Readiness (400 while not ready)",
        responses: { "200": { description: "Ready" }, "400": { description: "Not ready" } },
      },
    },
    "/v2/models/sentiment": metadata,
    "/v2/models/sentiment/ready": {
      get: {
        ...authenticated,
        operationId: "modelReadyV2",
        summary: "Model readiness",
        responses: { "200": { description: "Ready" }, ...errors([400, 401, 403, 404, 429]) },
      },
    },
    "/v2/models/sentiment/infer": infer,
  };
}
