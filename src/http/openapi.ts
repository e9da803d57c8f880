import { z } from "zod";
import { ASAP_ALGORITHMS } from "../asap/algorithms.js";
import type { AsapErrorCode } from "../asap/errors.js";
import { DEFAULT_MAX_LIFETIME_SECONDS } from "../asap/verify.js";
import { LABEL_RULES } from "../model/labels.js";
import { ModelMetadataSchema, ThresholdsSchema } from "../model/metadata.js";
import type { ServingErrorCode } from "../serving/serving-error.js";
import {
  batchSentimentResponseSchema,
  DEFAULT_REQUEST_LIMITS,
  labelSchema,
  type RequestLimits,
  requestSchemas,
  sentimentResponseSchema,
} from "./schemas.js";

/** A JSON object of the OpenAPI document (kept loose: the document is data, checked by tests). */
export type OpenApiObject = Record<string, unknown>;

/** The parts of an OpenAPI 3.1 document this module writes. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, OpenApiObject>>;
  components: {
    securitySchemes: Record<string, OpenApiObject>;
    schemas: Record<string, OpenApiObject>;
    headers: Record<string, OpenApiObject>;
  };
}

export interface OpenApiOptions {
  /** The limits the running service enforces, so the document states the real ones. */
  readonly limits?: RequestLimits & { readonly bodyLimitBytes?: number };
  /** Shown as `info.version` (the service's version). */
  readonly version?: string;
  /** The audience ASAP tokens must carry. */
  readonly audience?: string;
  readonly maxLifetimeSeconds?: number;
  /**
   * More paths (e.g. the Open Inference Protocol `/v2/...` routes), added as they are; a path
   * already described here is refused. Use `errorResponses` and `ASAP_SECURITY` to describe them.
   */
  readonly extraPaths?: Record<string, Record<string, OpenApiObject>>;
  /** More named schemas under `components.schemas`, for `extraPaths` to `$ref`. */
  readonly extraSchemas?: Record<string, OpenApiObject>;
  /** Whether per-issuer rate limits are on: adds 429 and the `RateLimit-*` headers to /v1. */
  readonly rateLimited?: boolean;
  /** More error responses every ASAP-authenticated operation can answer. */
  readonly extraAuthenticatedErrors?: readonly ErrorResponseSpec[];
}

/** One documented error status: the codes it carries, and the headers it sets. */
export interface ErrorResponseSpec {
  readonly status: number;
  readonly description: string;
  /** Stable `error` codes, each with a line saying when it is answered. */
  readonly codes: Readonly<Record<string, string>>;
  /** Headers this response sets, by their name under `components.headers`. */
  readonly headers?: readonly string[];
  /** Inline header objects, for headers this module does not know. */
  readonly headerObjects?: Readonly<Record<string, OpenApiObject>>;
}

/** The name of the security scheme; `security: ASAP_SECURITY` marks an operation as ASAP-protected. */
export const ASAP_SCHEME_NAME = "asap";
export const ASAP_SECURITY = [{ [ASAP_SCHEME_NAME]: [] }];

const ERROR_SCHEMA_REF = "#/components/schemas/Error";
const DEFAULT_AUDIENCE = "sentiment-api";

// `satisfies Record<...>` makes tsc fail when a refusal code is added without its description.
const ASAP_UNAUTHORIZED_CODES = {
  missing_token: "No `Authorization` header, or an empty Bearer token.",
  invalid_authorization_header: "The `Authorization` header is not `Bearer <token>`.",
  malformed_token: "The token is not a compact JWS with JSON header and payload.",
  token_too_large: "The token is larger than the service accepts (8 KiB).",
  unsupported_algorithm: `The token's \`alg\` is not one of ${ASAP_ALGORITHMS.join(", ")}.`,
  missing_kid: "The token header has no `kid`.",
  invalid_kid: "The `kid` is not a safe `issuer/keyname` path.",
  kid_issuer_mismatch: "The `kid` does not start with the token's `iss` followed by `/`.",
  unknown_key: "No public key is published for this `kid`.",
  invalid_key: "The published public key cannot verify this algorithm.",
  invalid_signature: "The signature does not verify with the issuer's public key.",
  missing_claim: "A required claim (`iss`, `sub`, `aud`, `jti`, `iat`, `exp`) is missing.",
  invalid_claim: "A claim has the wrong type, or `exp` is before `iat`.",
  invalid_audience: "`aud` does not contain this service's audience.",
  token_expired: "`exp` has passed.",
  token_not_yet_valid: "`nbf` is in the future.",
  token_issued_in_future: "`iat` is in the future.",
  lifetime_too_long: "`exp - iat` is longer than the allowed lifetime.",
  token_replayed: "This `jti` was already used by this issuer: mint one token per request.",
} as const satisfies Record<
  Exclude<
    AsapErrorCode,
    | "issuer_not_allowed"
    | "key_repository_unavailable"
    | "replay_store_unavailable"
    | "invalid_private_key"
  >,
  string
>;

const ASAP_UNAVAILABLE_CODES = {
  key_repository_unavailable: "The public key repository could not be reached; retry.",
  replay_store_unavailable: "The replay store could not be reached; retry.",
} as const satisfies Record<
  Extract<AsapErrorCode, "key_repository_unavailable" | "replay_store_unavailable">,
  string
>;

const SERVING_CODES = {
  overloaded:
    "The inference queue is full; retry with a new token after `Retry-After` seconds (this one is used up).",
  deadline_exceeded: "The texts could not be scored within the deadline.",
  inference_worker_crashed: "The inference worker scoring the request failed.",
  inference_failed: "The model failed to score the request.",
  model_not_ready: "The model is still loading.",
  model_load_failed: "The model could not be loaded.",
  shutting_down: "This instance is shutting down; retry on another.",
} as const satisfies Record<ServingErrorCode, string>;

const RATE_LIMIT_HEADERS = [
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "RateLimit-Policy",
];

const RATE_LIMITED: ErrorResponseSpec = {
  status: 429,
  description: "The issuer has spent its request budget (a per-issuer token bucket).",
  codes: {
    rate_limited:
      "Over the issuer's rate limit; retry with a new token after `Retry-After` seconds (this one is used up).",
  },
  headers: ["Retry-After", ...RATE_LIMIT_HEADERS],
};

const INTERNAL_ERROR: ErrorResponseSpec = {
  status: 500,
  description: "The server failed; the `request_id` finds it in the logs.",
  codes: { internal_error: "An unexpected failure." },
};

function rateLimitHeaders(): Record<string, OpenApiObject> {
  const described: Record<string, string> = {
    "RateLimit-Limit": "Requests the issuer may burst.",
    "RateLimit-Remaining": "Requests left in the issuer's bucket.",
    "RateLimit-Reset": "Seconds until the bucket is full again.",
    "RateLimit-Policy": "`<burst>;w=<seconds>`: the bucket's size and refill window.",
  };
  return Object.fromEntries(
    RATE_LIMIT_HEADERS.map((name) => [
      name,
      {
        description: described[name],
        schema: { type: name === "RateLimit-Policy" ? "string" : "integer" },
      },
    ]),
  );
}

/** Successful answers of a rate-limited service tell the caller its remaining budget. */
function withRateLimitHeaders(
  responses: Record<string, OpenApiObject>,
): Record<string, OpenApiObject> {
  const refs = Object.fromEntries(
    RATE_LIMIT_HEADERS.map((name) => [name, { $ref: `#/components/headers/${name}` }]),
  );
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [
      status,
      { ...response, headers: { ...(response.headers as object), ...refs } },
    ]),
  );
}

/** The errors every ASAP-protected operation can answer (for describing more routes, e.g. /v2). */
export function asapErrorSpecs(
  options: Pick<OpenApiOptions, "audience" | "maxLifetimeSeconds" | "rateLimited"> = {},
): ErrorResponseSpec[] {
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  return [
    {
      status: 401,
      description: `The ASAP token is missing or refused (audience \`${audience}\`, lifetime at most ${maxLifetimeSeconds} s).`,
      codes: ASAP_UNAUTHORIZED_CODES,
      headers: ["WWW-Authenticate"],
    },
    {
      status: 403,
      description: "The token is valid but its issuer is not allowed to call this service.",
      codes: { issuer_not_allowed: "The issuer is not in the service's allowed issuers." },
    },
    {
      status: 503,
      description: "The service cannot check the token right now.",
      codes: ASAP_UNAVAILABLE_CODES,
      headers: ["Retry-After"],
    },
    ...(options.rateLimited ? [RATE_LIMITED] : []),
    INTERNAL_ERROR,
  ];
}

/** The shared error body whose `error` is one of `codes`. */
export function sharedErrorSchema(codes: readonly string[]): OpenApiObject {
  return {
    allOf: [{ $ref: ERROR_SCHEMA_REF }, { properties: { error: { enum: [...codes] } } }],
  };
}

/**
 * OpenAPI responses for the given error specs, one per status (specs of one status are merged).
 * `bodySchema` describes the body for the codes of a status (routes with another error body, such
 * as the Open Inference Protocol's, pass their own; their examples then show only the codes).
 */
export function errorResponses(
  specs: readonly ErrorResponseSpec[],
  bodySchema: (codes: readonly string[]) => OpenApiObject = sharedErrorSchema,
): Record<string, OpenApiObject> {
  const byStatus = new Map<number, ErrorResponseSpec[]>();
  for (const spec of specs) byStatus.set(spec.status, [...(byStatus.get(spec.status) ?? []), spec]);
  const responses: Record<string, OpenApiObject> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const codes = Object.assign({}, ...group.map((spec) => spec.codes)) as Record<string, string>;
    const headers: Record<string, OpenApiObject> = {
      "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" },
    };
    for (const spec of group) {
      for (const name of spec.headers ?? [])
        headers[name] = { $ref: `#/components/headers/${name}` };
      Object.assign(headers, spec.headerObjects);
    }
    const codeList = Object.entries(codes)
      .map(([code, when]) => `- \`${code}\`: ${when}`)
      .join("\n");
    responses[String(status)] = {
      description: `${group.map((spec) => spec.description).join(" ")}\n\n${codeList}`,
      headers,
      content: {
        "application/json": {
          schema: bodySchema(Object.keys(codes)),
          examples: Object.fromEntries(
            Object.entries(codes).map(([code, when]) => [
              code,
              {
                summary: code,
                value: {
                  error: code,
                  message: when,
                  request_id: "3f1c0b52-8d1e-4c55-9a47-0e6d2b1f7a90",
                },
              },
            ]),
          ),
        },
      },
    };
  }
  return responses;
}

const toSchema = (schema: z.ZodType, io: "input" | "output"): OpenApiObject => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io });
  return rest;
};

/**
 * JSON Schema of the request bodies. zod refinements have no JSON Schema form, so the text
 * schema's two refinements are stated here: `pattern: \S` is "not blank" (JS `\s` is exactly what
 * `trim()` removes) and `maxLength` counts code points, as JSON Schema and the refinement both do.
 */
function requestBodySchemas(limits: RequestLimits) {
  const schemas = requestSchemas(limits);
  const text = schemas.sentiment.shape.text;
  const textFacts = {
    description: `A text to score: not blank, at most ${limits.maxTextLength} characters (Unicode code points).`,
    minLength: 1,
    maxLength: limits.maxTextLength,
    pattern: "\\S",
  };
  const convert = (schema: z.ZodType) =>
    z.toJSONSchema(schema, {
      target: "draft-2020-12",
      io: "input",
      override: (ctx) => {
        if (ctx.zodSchema === text) Object.assign(ctx.jsonSchema, textFacts);
      },
    });
  const strip = ({ $schema: _dialect, ...rest }: OpenApiObject) => rest;
  return {
    SentimentRequest: strip(convert(schemas.sentiment)),
    BatchSentimentRequest: strip(convert(schemas.batch)),
  };
}

/** Response shapes of routes that have no zod schema of their own in `schemas.ts`. */
const whoamiResponseSchema = z.object({
  iss: z.string().describe("Issuer: the calling service."),
  sub: z.string().describe("Subject: on whose behalf the caller acts (defaults to `iss`)."),
  aud: z.union([z.string(), z.array(z.string())]),
  jti: z.string().describe("The token's unique id; it cannot be used again."),
  iat: z.number().int(),
  exp: z.number().int(),
  nbf: z.number().int(),
  kid: z.string().describe("`issuer/keyname`: where the public key was looked up."),
  alg: z.enum(ASAP_ALGORITHMS),
});

const modelDescriptionSchema = ModelMetadataSchema.extend({
  classes: z
    .array(labelSchema)
    .nullable()
    .describe(
      "The 3-class model's output classes, in output order; null for a binary (legacy) model.",
    ),
  backend: z.string().describe("The TensorFlow.js backend scoring with this model."),
  labelRule: z
    .enum(LABEL_RULES)
    .describe(
      "`model`: the label is the most probable class; `thresholds`: the score cut at `labelThresholds` (always for a binary model).",
    ),
  labelThresholds: ThresholdsSchema.describe(
    "The thresholds in use (metadata's unless overridden); the `thresholds` rule cuts the score at them.",
  ),
});

const healthResponseSchema = z.object({ status: z.literal("ok") });

const readinessResponseSchema = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.record(z.string(), z.string()),
});

const errorBodySchema = z.object({
  error: z.string().describe("Stable machine code; branch on this, not on `message`."),
  message: z.string().describe("Human-readable explanation; may change."),
  request_id: z.string().describe("Also in the `X-Request-Id` header; quote it in bug reports."),
  details: z
    .unknown()
    .optional()
    .describe("Extra data, e.g. `{ issues: [{ path, message }] }` for `invalid_request`."),
});

const json = (schemaRef: string, description: string): OpenApiObject => ({
  description,
  headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } },
  content: { "application/json": { schema: { $ref: `#/components/schemas/${schemaRef}` } } },
});

const requestBody = (schemaRef: string, example: unknown): OpenApiObject => ({
  required: true,
  content: {
    "application/json": { schema: { $ref: `#/components/schemas/${schemaRef}` }, example },
  },
});

function asapDescription(audience: string, maxLifetimeSeconds: number): string {
  return [
    "[ASAP](https://s2sauth.bitbucket.io/spec/) (Atlassian Service Authentication Protocol): a JWT",
    "signed with the caller's private key, sent as `Authorization: Bearer <token>`.",
    "",
    "- header `kid` = `<issuer>/<keyname>`, the path of the public key in the key repository;",
    `  \`alg\` one of ${ASAP_ALGORITHMS.join(", ")} (never \`none\` or HMAC)`,
    `- \`iss\` = the issuer, \`aud\` contains \`${audience}\`, \`sub\` optional`,
    `- \`iat\`, \`exp\` (at most ${maxLifetimeSeconds} s after \`iat\`), optional \`nbf\``,
    "- a fresh `jti` for every request: a token is accepted once (replay protection)",
    "",
    "Mint one for trying the API here with `npm run -s mint`.",
  ].join("\n");
}

/** Builds the OpenAPI 3.1 document of the service from its zod schemas and error catalogue. */
export function buildOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const limits = options.limits ?? DEFAULT_REQUEST_LIMITS;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;

  const authErrors = [
    ...asapErrorSpecs({ audience, maxLifetimeSeconds, rateLimited: options.rateLimited ?? false }),
    ...(options.extraAuthenticatedErrors ?? []),
  ];
  const bodyErrors: ErrorResponseSpec[] = [
    {
      status: 400,
      description:
        "The body does not parse as JSON, or does not match the request schema (`details.issues` lists why).",
      codes: {
        invalid_request: "A field is missing, of the wrong type, blank or too long.",
        invalid_json: "The body does not parse as JSON.",
      },
    },
    {
      status: 413,
      description:
        options.limits?.bodyLimitBytes === undefined
          ? "The body is larger than the service accepts."
          : `The body is larger than ${options.limits.bodyLimitBytes} bytes.`,
      codes: { payload_too_large: "The body exceeds the size limit." },
    },
    {
      status: 415,
      description: "The body is not declared as uncompressed UTF-8 JSON.",
      codes: {
        unsupported_media_type: "`Content-Type` is missing or not `application/json`.",
        unsupported_content_encoding:
          "`Content-Encoding` is not `identity`: bodies must be sent uncompressed.",
        unsupported_charset: "`Content-Type` declares a `charset` other than `utf-8`.",
      },
    },
  ];
  const scoringErrors: ErrorResponseSpec[] = [
    {
      status: 503,
      description: "The model cannot score right now.",
      codes: SERVING_CODES,
      headers: ["Retry-After"],
    },
  ];
  const modelNotReady: ErrorResponseSpec = {
    status: 503,
    description: "The model is still loading.",
    codes: { model_not_ready: SERVING_CODES.model_not_ready },
    headers: ["Retry-After"],
  };

  const authenticated = (
    operation: OpenApiObject,
    okResponses: Record<string, OpenApiObject>,
    errors: ErrorResponseSpec[],
  ): OpenApiObject => ({
    ...operation,
    security: ASAP_SECURITY,
    responses: {
      ...(options.rateLimited ? withRateLimitHeaders(okResponses) : okResponses),
      ...errorResponses([...authErrors, ...errors]),
    },
  });

  const paths: OpenApiDocument["paths"] = {
    "/healthz": {
      get: {
        operationId: "getHealth",
        tags: ["health"],
        summary: "Liveness: the process answers",
        security: [],
        responses: { "200": json("Health", "The process is alive.") },
      },
    },
    "/readyz": {
      get: {
        operationId: "getReadiness",
        tags: ["health"],
        summary: "Readiness: the model is loaded and the server accepts requests",
        security: [],
        responses: {
          "200": json("Readiness", "Ready to score."),
          "503": json(
            "Readiness",
            "Not ready (model loading, or shutting down); `checks` says which.",
          ),
        },
      },
    },
    "/v1/whoami": {
      get: authenticated(
        {
          operationId: "whoami",
          tags: ["auth"],
          summary: "The verified ASAP claims of the caller",
          description: "For checking a token: answers the claims the service verified.",
        },
        { "200": json("Whoami", "The token's verified claims.") },
        [],
      ),
    },
    "/v1/sentiment": {
      post: authenticated(
        {
          operationId: "scoreSentiment",
          tags: ["sentiment"],
          summary: "Score the sentiment of one text",
          description: `\`probabilities\` are the negative / neutral / positive probabilities (sum 1); \`score\` is the probability that the text is positive rather than negative; \`label\` is the most probable class (label rule \`model\`) or the score cut at the thresholds (label rule \`thresholds\`, and always for a binary model). Texts are at most ${limits.maxTextLength} characters.`,
          requestBody: requestBody("SentimentRequest", {
            text: "I love this phone, the battery lasts forever",
          }),
        },
        { "200": json("SentimentResponse", "The text's label, score and probabilities.") },
        [...bodyErrors, ...scoringErrors],
      ),
    },
    "/v1/sentiment/batch": {
      post: authenticated(
        {
          operationId: "scoreSentimentBatch",
          tags: ["sentiment"],
          summary: "Score the sentiment of several texts",
          description: `One result per text, in input order. At most ${limits.maxBatchTexts} texts of at most ${limits.maxTextLength} characters each.`,
          requestBody: requestBody("BatchSentimentRequest", {
            texts: ["worst service ever, never again", "what a beautiful morning"],
          }),
        },
        {
          "200": json(
            "BatchSentimentResponse",
            "One label, score and probabilities per text, in order.",
          ),
        },
        [...bodyErrors, ...scoringErrors],
      ),
    },
    "/v1/models": {
      get: authenticated(
        {
          operationId: "listModels",
          tags: ["models"],
          summary: "The served model",
          description: "Metadata, evaluation metrics and backend of the model being served.",
        },
        { "200": json("ModelList", "The served models (one).") },
        [modelNotReady],
      ),
    },
    "/v1/models/{name}": {
      get: authenticated(
        {
          operationId: "getModel",
          tags: ["models"],
          summary: "One served model by name",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
        },
        { "200": json("Model", "The model's metadata, metrics and backend.") },
        [
          {
            status: 404,
            description: "No model of this name is served.",
            codes: { model_not_found: "The name is not the served model's." },
          },
          modelNotReady,
        ],
      ),
    },
  };

  for (const [path, item] of Object.entries(options.extraPaths ?? {})) {
    if (path in paths) throw new Error(`OpenAPI path ${path} is already described`);
    paths[path] = item;
  }

  const model = toSchema(modelDescriptionSchema, "output");
  return {
    openapi: "3.1.0",
    info: {
      title: "sentiment-api",
      version: options.version ?? "0.1.0",
      description: [
        "Scores the sentiment of tweets (NEGATIVE, NEUTRAL, POSITIVE, with the probability of",
        "positive) over HTTPS. Every `/v1` route needs an ASAP bearer token.",
        "",
        "Every error answers `{ error, message, request_id, details? }`: branch on `error`, a stable",
        "snake_case code; each response below lists its codes.",
        "Unknown routes answer 404 `not_found`.",
      ].join("\n"),
    },
    tags: [
      { name: "sentiment", description: "Score texts." },
      { name: "models", description: "The served model." },
      { name: "auth", description: "Check an ASAP token." },
      { name: "health", description: "Probes for orchestrators; no token needed." },
    ],
    paths,
    components: {
      securitySchemes: {
        [ASAP_SCHEME_NAME]: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: asapDescription(audience, maxLifetimeSeconds),
        },
      },
      schemas: {
        ...requestBodySchemas(limits),
        SentimentResponse: toSchema(sentimentResponseSchema, "output"),
        BatchSentimentResponse: toSchema(batchSentimentResponseSchema, "output"),
        Whoami: toSchema(whoamiResponseSchema, "output"),
        Model: model,
        ModelList: {
          type: "object",
          properties: { models: { type: "array", items: { $ref: "#/components/schemas/Model" } } },
          required: ["models"],
        },
        Health: toSchema(healthResponseSchema, "output"),
        Readiness: toSchema(readinessResponseSchema, "output"),
        Error: toSchema(errorBodySchema, "output"),
        ...options.extraSchemas,
      },
      headers: {
        "X-Request-Id": {
          description:
            "The request's id: the caller's `X-Request-Id` when safe to echo, else a UUID.",
          schema: { type: "string" },
        },
        "WWW-Authenticate": {
          description:
            'RFC 6750 challenge, e.g. `Bearer realm="sentiment-api", error="invalid_token", error_description="..."`.',
          schema: { type: "string" },
        },
        "Retry-After": {
          description: "Seconds to wait before retrying.",
          schema: { type: "integer", minimum: 1 },
        },
        ...rateLimitHeaders(),
      },
    },
  };
}
