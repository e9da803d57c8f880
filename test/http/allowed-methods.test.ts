import { describe, expect, it } from "vitest";
import { allowedMethodsOf } from "../../src/http/allowed-methods.js";

const allowedMethods = allowedMethodsOf([
  { method: "ALL", path: "/*" },
  { method: "GET", path: "/healthz" },
  { method: "ALL", path: "/v1/*" },
  { method: "POST", path: "/v1/sentiment" },
  { method: "GET", path: "/v1/models" },
  { method: "GET", path: "/v1/models/:name" },
  { method: "POST", path: "/v1/models/:name" },
  { method: "GET", path: "/docs/assets/swagger-ui.css" },
]);

describe("allowedMethodsOf", () => {
  it("lists a path's methods, with HEAD for GET, and ignores middleware", () => {
    expect(allowedMethods("/healthz")).toEqual(["GET", "HEAD"]);
    expect(allowedMethods("/v1/sentiment")).toEqual(["POST"]);
  });

  it("matches parameters within one segment only", () => {
    expect(allowedMethods("/v1/models/sentiment-boe")).toEqual(["GET", "HEAD", "POST"]);
    expect(allowedMethods("/v1/models/a/b")).toEqual([]);
    expect(allowedMethods("/v1/models")).toEqual(["GET", "HEAD"]);
  });

  it("knows no method for paths no route has, a trailing slash included (routing is strict)", () => {
    expect(allowedMethods("/v1/sentiment/")).toEqual([]);
    expect(allowedMethods("/v1/nope")).toEqual([]);
    expect(allowedMethods("/")).toEqual([]);
  });

  it("takes dots in paths literally", () => {
    expect(allowedMethods("/docs/assets/swagger-ui.css")).toEqual(["GET", "HEAD"]);
    expect(allowedMethods("/docs/assets/swagger-uixcss")).toEqual([]);
  });
});
