import { describe, expect, it } from "vitest";
import {
  clientErrorResponse,
  describeClientError,
  MISSING_HOST,
} from "../../src/server/client-errors.js";

describe("describeClientError", () => {
  it("answers a header overflow with 431 headers_too_large, naming the limit and ASAP tokens", () => {
    const answer = describeClientError({ code: "HPE_HEADER_OVERFLOW" }, 16384);
    expect(answer).toMatchObject({ status: 431, code: "headers_too_large" });
    expect(answer.message).toContain("16384 bytes");
    expect(answer.message).toContain("ASAP token");
  });

  it("answers a header or request timeout with 408 request_timeout", () => {
    expect(describeClientError({ code: "ERR_HTTP_REQUEST_TIMEOUT" }, 16384)).toMatchObject({
      status: 408,
      code: "request_timeout",
    });
  });

  it.each([
    "HPE_INVALID_METHOD",
    "HPE_UNEXPECTED_CONTENT_LENGTH",
    "HPE_INVALID_CONTENT_LENGTH",
    "HPE_INVALID_HEADER_TOKEN",
    "HPE_SOMETHING_NEW",
  ])("answers %s with 400 malformed_request", (code) => {
    expect(describeClientError({ code }, 16384)).toMatchObject({
      status: 400,
      code: "malformed_request",
    });
  });

  it("answers an error without a code with 400 malformed_request", () => {
    expect(describeClientError({}, 16384)).toMatchObject({ status: 400 });
  });

  it("answers too many chunk extensions with 413 payload_too_large", () => {
    expect(describeClientError({ code: "HPE_CHUNK_EXTENSIONS_OVERFLOW" }, 16384)).toMatchObject({
      status: 413,
      code: "payload_too_large",
    });
  });
});

describe("clientErrorResponse", () => {
  it("is a complete HTTP/1.1 response with the JSON error body, request id and Connection: close", () => {
    const raw = clientErrorResponse(MISSING_HOST, "req-1");
    const [head = "", body = ""] = raw.split("\r\n\r\n");
    const lines = head.split("\r\n");
    expect(lines[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(lines).toEqual(
      expect.arrayContaining([
        "Content-Type: application/json",
        "Connection: close",
        "X-Request-Id: req-1",
        `Content-Length: ${Buffer.byteLength(body)}`,
      ]),
    );
    expect(JSON.parse(body)).toEqual({
      error: "malformed_request",
      message: MISSING_HOST.message,
      request_id: "req-1",
    });
  });
});
