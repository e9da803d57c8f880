import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../support/service.js";

describe("access log", () => {
  const lines: string[] = [];
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { logLines: lines });
  });
  afterAll(() => svc?.service.stop());

  const requestLines = () =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === "request");

  it("writes one line per request with id, caller, route, status and latency, never the token or text", async () => {
    const token = await svc.token("test-client", { subject: "alice" });
    const secretText = "my very private tweet about nothing";
    const res = await svc.request("/v1/sentiment", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ text: secretText }),
    });
    expect(res.status).toBe(200);
    const line = requestLines().find((entry) => entry.request_id === res.headers["x-request-id"]);
    expect(line).toMatchObject({
      iss: "test-client",
      sub: "alice",
      route: "/v1/sentiment",
      method: "POST",
      status: 200,
    });
    expect(typeof line?.latency_ms).toBe("number");
    const everything = lines.join("\n");
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.split(".")[2]);
    expect(everything).not.toContain(secretText);
  });

  it("logs a refusal's reason, issuer and kid, but not the refused token", async () => {
    const token = await svc.token("test-client", { audience: "someone-else" });
    const res = await svc.request("/v1/whoami", { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    const line = requestLines().find((entry) => entry.request_id === res.headers["x-request-id"]);
    expect(line).toMatchObject({
      status: 401,
      auth_error: "invalid_audience",
      iss: "test-client",
      kid: "test-client/test",
    });
    expect(lines.join("\n")).not.toContain(token.split(".")[2]);
  });
});
