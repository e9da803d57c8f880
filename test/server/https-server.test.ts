import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RawResponse, rawTlsExchange } from "../support/raw-tls.js";
import { startTestService, type TestService } from "../support/service.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("HTTPS server: requests Node's HTTP parser refuses", () => {
  const lines: string[] = [];
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { logLines: lines });
  });
  afterAll(() => svc?.service.stop());

  const send = (request: string) => rawTlsExchange(svc.service.port, svc.ca, request);
  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  function expectJsonError(res: RawResponse, status: number, code: string): void {
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers.connection).toBe("close");
    expect(res.headers["x-request-id"]).toMatch(UUID);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body).toMatchObject({ error: code, request_id: res.headers["x-request-id"] });
    expect(typeof body.message).toBe("string");
    const line = logged().find((entry) => entry.request_id === res.headers["x-request-id"]);
    expect(line).toMatchObject({ msg: "client error", status, error: code });
    expect(line?.level).toBeLessThan(50);
  }

  it("answers a 20 KB Authorization header with 431 headers_too_large in JSON", async () => {
    const secret = `eyJ${"a".repeat(20 * 1024)}`;
    const res = await send(
      `GET /v1/whoami HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${secret}\r\n\r\n`,
    );
    expectJsonError(res, 431, "headers_too_large");
    expect(JSON.parse(res.body).message).toContain("ASAP token");
    expect(res.body).not.toContain("aaaaaaaa");
    expect(lines.join("\n")).not.toContain("aaaaaaaa");
  });

  it.each([
    [
      "both Content-Length and Transfer-Encoding",
      "POST /v1/sentiment HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    [
      "a non-numeric Content-Length",
      "POST /v1/sentiment HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
    ],
    ["an unknown method", "BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n"],
    ["a NUL in a header", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Note: a\u0000b\r\n\r\n"],
    ["an HTTP/1.1 request without Host", "GET /healthz HTTP/1.1\r\n\r\n"],
  ])("answers %s with 400 malformed_request in JSON", async (_name, request) => {
    expectJsonError(await send(request), 400, "malformed_request");
  });

  it("still serves an HTTP/1.0 request without Host", async () => {
    const res = await send("GET /healthz HTTP/1.0\r\n\r\n");
    expect(res.status).toBe(200);
  });
});
