import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ASAP_SCHEME_NAME,
  ASAP_SECURITY,
  asapErrorSpecs,
  buildOpenApiDocument,
  errorResponses,
  type OpenApiDocument,
  type OpenApiObject,
} from "../../src/http/openapi.js";
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
  requestSchemas,
} from "../../src/http/schemas.js";
import type { HttpsResponse } from "../support/https-client.js";
import { startTestService, type TestService } from "../support/service.js";

const ROUTES = [
  ["get", "/healthz"],
  ["get", "/readyz"],
  ["get", "/v1/whoami"],
  ["post", "/v1/sentiment"],
  ["post", "/v1/sentiment/batch"],
  ["get", "/v1/models"],
  ["get", "/v1/models/{name}"],
] as const;
const AUTHENTICATED = ROUTES.filter(([, path]) => path.startsWith("/v1/"));
const WITH_BODY = ROUTES.filter(([method]) => method === "post");

type Operation = { responses: Record<string, OpenApiObject>; security?: unknown } & OpenApiObject;

function operation(doc: OpenApiDocument, method: string, path: string): Operation {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`${method} ${path} is not in the document`);
  return found as Operation;
}

/** Ajv holding the whole document, so any JSON pointer into it can be compiled as a schema. */
function schemaValidator(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ ...doc, $id: "doc" });
  const pointer = (parts: string[]) =>
    parts.map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
  return (...parts: string[]) => {
    const validate = ajv.compile({ $ref: `doc#/${pointer(parts)}` });
    return (value: unknown) => ({ valid: validate(value) as boolean, errors: validate.errors });
  };
}

const jsonSchemaOf = (...where: [string, string, string]) => [
  "paths",
  where[1],
  where[0],
  "responses",
  where[2],
  "content",
  "application/json",
  "schema",
];

describe("buildOpenApiDocument", () => {
  const doc = buildOpenApiDocument();

  it.each([
    ["by default", {}],
    ["with rate limits", { rateLimited: true }],
  ])("is a valid OpenAPI 3.1 document %s", async (_name, options) => {
    const validator = new Validator();
    const result = await validator.validate(
      structuredClone(buildOpenApiDocument(options)) as unknown as Record<string, unknown>,
    );
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("is checked by a validator that notices a broken document", async () => {
    const broken = structuredClone(doc) as unknown as Record<string, Record<string, unknown>>;
    const batch = broken.paths?.["/v1/sentiment/batch"] as { post: { responses: unknown } };
    batch.post.responses = "none";
    const result = await new Validator().validate(broken);
    expect(result.valid).toBe(false);
  });

  it("describes every route of the service, and no other", () => {
    const described = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(described.sort()).toEqual(ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });

  it("gives every operation a unique operationId", () => {
    const ids = ROUTES.map(([method, path]) => operation(doc, method, path).operationId);
    expect(new Set(ids).size).toBe(ROUTES.length);
    for (const id of ids) expect(id).toEqual(expect.any(String));
  });

  it("describes the ASAP bearer security scheme", () => {
    const scheme = doc.components.securitySchemes[ASAP_SCHEME_NAME];
    expect(scheme).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
    const description = String(scheme?.description);
    expect(description).toMatch(/kid.*<issuer>\/<keyname>/);
    expect(description).toContain("`sentiment-api`");
    expect(description).toContain("3600 s");
    expect(description).toMatch(/fresh `jti` for every request/);
  });

  it("requires the ASAP scheme on every /v1 operation and nothing on the probes", () => {
    for (const [method, path] of ROUTES) {
      const expected = path.startsWith("/v1/") ? [{ [ASAP_SCHEME_NAME]: [] }] : [];
      expect(operation(doc, method, path).security, `${method} ${path}`).toEqual(expected);
    }
  });

  it("describes the refusals of ASAP on every /v1 operation, with their headers", () => {
    for (const [method, path] of AUTHENTICATED) {
      const { responses } = operation(doc, method, path);
      expect(Object.keys(responses), `${method} ${path}`).toEqual(
        expect.arrayContaining(["401", "403", "500", "503"]),
      );
      expect(responses["401"]?.headers).toHaveProperty("WWW-Authenticate");
      expect(responses["503"]?.headers).toHaveProperty("Retry-After");
    }
  });

  it("describes the body refusals of every operation that takes a body", () => {
    for (const [method, path] of WITH_BODY) {
      const { responses } = operation(doc, method, path);
      expect(Object.keys(responses), `${method} ${path}`).toEqual(
        expect.arrayContaining(["400", "413", "415"]),
      );
    }
  });

  it("gives every error response the shared error body and the codes it can carry", () => {
    const validate = schemaValidator(doc);
    for (const [method, path] of AUTHENTICATED) {
      for (const status of Object.keys(operation(doc, method, path).responses)) {
        if (Number(status) < 400) continue;
        const schema = validate(...jsonSchemaOf(method, path, status));
        const codes = errorCodes(doc, method, path, status);
        expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(schema({ error: code, message: "m", request_id: "r" }).valid).toBe(true);
        }
        expect(schema({ error: "not_a_code", message: "m", request_id: "r" }).valid).toBe(false);
        expect(schema({ error: codes[0], message: "m" }).valid).toBe(false);
      }
    }
  });

  it("lists the error codes of each status where the service answers them", () => {
    const post = (status: string) => errorCodes(doc, "post", "/v1/sentiment", status);
    expect(post("401")).toEqual(
      expect.arrayContaining(["missing_token", "invalid_signature", "token_replayed"]),
    );
    expect(post("403")).toEqual(["issuer_not_allowed"]);
    expect(post("503")).toEqual(
      expect.arrayContaining(["key_repository_unavailable", "overloaded", "model_not_ready"]),
    );
    expect(post("415")).toEqual([
      "unsupported_media_type",
      "unsupported_content_encoding",
      "unsupported_charset",
    ]);
    expect(post("413")).toEqual(["payload_too_large"]);
    expect(post("400")).toEqual(["invalid_request", "invalid_json"]);
    expect(errorCodes(doc, "get", "/v1/models/{name}", "404")).toEqual(["model_not_found"]);
  });

  it("states the request limits the zod schemas enforce", () => {
    const { SentimentRequest, BatchSentimentRequest } = doc.components.schemas as Record<
      string,
      { properties: Record<string, Record<string, unknown>> }
    >;
    expect(SentimentRequest?.properties.text).toMatchObject({
      type: "string",
      maxLength: DEFAULT_REQUEST_LIMITS.maxTextLength,
    });
    expect(String(SentimentRequest?.properties.text?.description)).toContain("5000 characters");
    expect(BatchSentimentRequest?.properties.texts).toMatchObject({
      type: "array",
      minItems: 1,
      maxItems: DEFAULT_REQUEST_LIMITS.maxBatchTexts,
      items: { maxLength: DEFAULT_REQUEST_LIMITS.maxTextLength },
    });
  });

  it("follows configured limits", () => {
    const custom = buildOpenApiDocument({ limits: { maxTextLength: 280, maxBatchTexts: 64 } });
    const batch = custom.components.schemas.BatchSentimentRequest as {
      properties: { texts: { maxItems: number; items: { maxLength: number } } };
    };
    expect(batch.properties.texts.maxItems).toBe(64);
    expect(batch.properties.texts.items.maxLength).toBe(280);
  });

  it("accepts and refuses the same request bodies as the zod schemas", () => {
    const limits: RequestLimits = { maxTextLength: 4, maxBatchTexts: 3 };
    const zod = requestSchemas(limits);
    const validate = schemaValidator(buildOpenApiDocument({ limits }));
    const documented = {
      sentiment: validate("components", "schemas", "SentimentRequest"),
      batch: validate("components", "schemas", "BatchSentimentRequest"),
    };
    // Blanks of every kind trim() removes, code points beyond the BMP, lone surrogates.
    const char = fc.constantFrom(
      "a",
      " ",
      "\t",
      "\n",
      "\u00a0",
      "\u2028",
      "\ufeff",
      "\u3000",
      "😀",
      "\ud800",
      "é",
    );
    const text = fc.oneof(
      fc.array(char, { maxLength: 6 }).map((chars) => chars.join("")),
      fc.constantFrom(null, 42, ["a"]),
    );
    const body = fc.oneof(
      fc.record({ text }),
      fc.record({ texts: fc.array(text, { maxLength: 5 }) }),
      fc.record({ text, extra: fc.constant(1) }),
      fc.constantFrom({}, [], "text", null),
    );
    fc.assert(
      fc.property(body, (value) => {
        for (const kind of ["sentiment", "batch"] as const) {
          const byZod = zod[kind].safeParse(value).success;
          expect(documented[kind](value).valid, `${kind} ${JSON.stringify(value)}`).toBe(byZod);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("adds extra paths for other protocols", () => {
    const extended = buildOpenApiDocument({
      extraPaths: { "/v2/health/live": { get: { responses: { "200": { description: "live" } } } } },
    });
    expect(extended.paths["/v2/health/live"]).toBeDefined();
    expect(extended.paths["/v1/sentiment"]).toBeDefined();
  });

  it("describes extra protected routes with the ASAP refusals in their own error body", async () => {
    const protocolError = (codes: readonly string[]) => ({
      type: "object",
      properties: { error: { type: "string" }, code: { enum: [...codes] } },
      required: ["error"],
    });
    const extended = buildOpenApiDocument({
      extraPaths: {
        "/v2/models/sentiment/infer": {
          post: {
            security: ASAP_SECURITY,
            responses: {
              "200": { description: "inferred" },
              ...errorResponses(asapErrorSpecs({ rateLimited: true }), protocolError),
            },
          },
        },
      },
    });
    const result = await new Validator().validate(
      structuredClone(extended) as unknown as Record<string, unknown>,
    );
    expect(result.errors).toBeUndefined();
    const validate = schemaValidator(extended);
    const unauthorized = validate(...jsonSchemaOf("post", "/v2/models/sentiment/infer", "401"));
    expect(unauthorized({ error: "no token", code: "missing_token" }).valid).toBe(true);
    expect(unauthorized({ error: "no token", code: "rate_limited" }).valid).toBe(false);
    expect(operation(extended, "post", "/v2/models/sentiment/infer").responses).toHaveProperty(
      "429",
    );
  });

  it("refuses an extra path that is already described", () => {
    expect(() =>
      buildOpenApiDocument({ extraPaths: { "/v1/sentiment": { get: { responses: {} } } } }),
    ).toThrow(/already described/);
  });

  it("describes 429 and the RateLimit headers on every /v1 operation when rate limits are on", () => {
    const limited = buildOpenApiDocument({ rateLimited: true });
    for (const [method, path] of AUTHENTICATED) {
      const { responses } = operation(limited, method, path);
      expect(errorCodes(limited, method, path, "429")).toEqual(["rate_limited"]);
      expect(Object.keys(responses["429"]?.headers as object)).toEqual(
        expect.arrayContaining(["Retry-After", "RateLimit-Limit", "RateLimit-Reset"]),
      );
      expect(responses["200"]?.headers).toHaveProperty("RateLimit-Remaining");
    }
    expect(operation(limited, "get", "/healthz").responses["429"]).toBeUndefined();
  });

  it("describes no 429 when rate limits are off", () => {
    for (const [method, path] of ROUTES) {
      expect(operation(doc, method, path).responses["429"]).toBeUndefined();
    }
  });

  it("adds extra errors to every authenticated operation", () => {
    const extended = buildOpenApiDocument({
      extraAuthenticatedErrors: [
        { status: 402, description: "Pay first.", codes: { payment_required: "No credit." } },
      ],
    });
    for (const [method, path] of AUTHENTICATED) {
      expect(errorCodes(extended, method, path, "402")).toEqual(["payment_required"]);
    }
  });
});

function errorCodes(doc: OpenApiDocument, method: string, path: string, status: string) {
  const response = operation(doc, method, path).responses[status] as
    | { content: { "application/json": { schema: { allOf: { properties?: object }[] } } } }
    | undefined;
  const constraint = response?.content["application/json"].schema.allOf[1] as
    | { properties: { error: { enum: string[] } } }
    | undefined;
  return constraint?.properties.error.enum ?? [];
}

describe("the running service", () => {
  let svc: TestService;
  // The test service runs with the default configuration: rate limits on.
  const doc = buildOpenApiDocument({ rateLimited: true });
  const validate = schemaValidator(doc);

  beforeAll(async () => {
    svc = await startTestService({
      server: { bodyLimitBytes: 4096 },
      rateLimit: { issuers: { "bursty-client": { requestsPerSecond: 1, burst: 1 } } },
    });
  });
  afterAll(async () => {
    await svc?.service.stop();
  });

  interface Call {
    url?: string;
    token?: boolean;
    body?: string;
    contentType?: string;
  }

  async function send(method: "get" | "post", path: string, call: Call) {
    const headers: Record<string, string> = {};
    if (call.token !== false) headers.Authorization = `Bearer ${await svc.token()}`;
    if (call.body !== undefined) headers["Content-Type"] = call.contentType ?? "application/json";
    return svc.request(call.url ?? path, {
      method: method.toUpperCase(),
      headers,
      ...(call.body === undefined ? {} : { body: call.body }),
    });
  }

  /** Checks an answer against the document: status described, body schema, headers present. */
  function expectDescribed(method: string, path: string, res: HttpsResponse) {
    const status = String(res.status);
    const described = operation(doc, method, path).responses[status] as
      | { headers?: Record<string, unknown> }
      | undefined;
    expect(described, `${method} ${path} answered ${status}, which is not described`).toBeDefined();
    const result = validate(...jsonSchemaOf(method, path, status))(res.json());
    expect(result.errors ?? [], `${method} ${path} ${status}: ${res.text}`).toEqual([]);
    for (const header of Object.keys(described?.headers ?? {})) {
      expect(res.headers[header.toLowerCase()], `${status} ${header}`).toBeDefined();
    }
  }

  async function conforms(method: "get" | "post", path: string, call: Call) {
    const res = await send(method, path, call);
    expectDescribed(method, path, res);
    return res;
  }

  it("answers the probes as described", async () => {
    expect((await conforms("get", "/healthz", { token: false })).status).toBe(200);
    expect((await conforms("get", "/readyz", { token: false })).status).toBe(200);
  });

  it("answers the authenticated routes as described", async () => {
    const text = JSON.stringify({ text: "what a lovely day" });
    const texts = JSON.stringify({ texts: ["great", "awful"] });
    expect((await conforms("get", "/v1/whoami", {})).status).toBe(200);
    expect((await conforms("post", "/v1/sentiment", { body: text })).status).toBe(200);
    expect((await conforms("post", "/v1/sentiment/batch", { body: texts })).status).toBe(200);
    const models = await conforms("get", "/v1/models", {});
    expect(models.status).toBe(200);
    const name = models.json<{ models: { name: string }[] }>().models[0]?.name ?? "";
    const one = await conforms("get", "/v1/models/{name}", { url: `/v1/models/${name}` });
    expect(one.status).toBe(200);
  });

  it.each([
    ["no token", "/v1/sentiment", { token: false, body: '{"text":"hi"}' }, 401],
    ["a blank text", "/v1/sentiment", { body: '{"text":"   "}' }, 400],
    [
      "too many texts",
      "/v1/sentiment/batch",
      { body: JSON.stringify({ texts: Array(513).fill("a") }) },
      400,
    ],
    [
      "a body over the size limit",
      "/v1/sentiment",
      { body: JSON.stringify({ text: "a".repeat(5000) }) },
      413,
    ],
    ["a text body", "/v1/sentiment", { body: "hello", contentType: "text/plain" }, 415],
    ["broken JSON", "/v1/sentiment/batch", { body: "{" }, 400],
  ] as const)(
    "describes the refusal of a request with %s",
    async (_name, path, request, status) => {
      expect((await conforms("post", path, request)).status).toBe(status);
    },
  );

  it("describes the refusal of an unknown model", async () => {
    const res = await conforms("get", "/v1/models/{name}", { url: "/v1/models/no-such-model" });
    expect(res.status).toBe(404);
  });

  it("describes the refusal of an issuer over its rate limit", async () => {
    // Ten requests at once against a bucket of one: at least nine are refused. Tokens are minted
    // first (one by one: the test service creates an issuer's key on first use).
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) tokens.push(await svc.token("bursty-client"));
    const answers = await Promise.all(
      tokens.map((token) =>
        svc.request("/v1/whoami", { headers: { Authorization: `Bearer ${token}` } }),
      ),
    );
    const refused = answers.filter((res) => res.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const res of answers) expectDescribed("get", "/v1/whoami", res);
  });
});
