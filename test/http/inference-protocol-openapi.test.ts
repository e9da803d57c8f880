import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import {
  inferenceProtocolPaths,
  inferenceProtocolSchemas,
} from "../../src/http/inference-protocol-openapi.js";
import { buildOpenApiDocument } from "../../src/http/openapi.js";
import { startTestService } from "../support/service.js";

const document = () =>
  buildOpenApiDocument({
    extraPaths: inferenceProtocolPaths(),
    extraSchemas: inferenceProtocolSchemas(),
  });

describe("the Open Inference Protocol v2 in the OpenAPI document", () => {
  it("keeps the document a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(
      structuredClone(document()) as unknown as Record<string, unknown>,
    );
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it("describes infer behind ASAP and the health probes without it", () => {
    const paths = document().paths as Record<string, Record<string, { security?: unknown[] }>>;
    expect(paths["/v2/models/sentiment/infer"]?.post?.security).toEqual([{ asap: [] }]);
    expect(paths["/v2/health/live"]?.get?.security).toEqual([]);
    expect(paths["/v2/health/ready"]?.get?.security).toEqual([]);
  });

  it("is what the running service serves at /openapi.json", async () => {
    const svc = await startTestService();
    try {
      const served = (await svc.request("/openapi.json")).json<{
        paths: Record<string, unknown>;
      }>();
      expect(Object.keys(served.paths)).toEqual(
        expect.arrayContaining(["/v2/models/sentiment/infer", "/v1/sentiment"]),
      );
    } finally {
      await svc.service.stop();
    }
  });
});
