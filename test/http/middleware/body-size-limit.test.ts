import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawTlsConnect } from "../../support/raw-tls.js";
import { startTestService, type TestService } from "../../support/service.js";

describe("body size limit: a client that leaves in the middle of the body", () => {
  const lines: string[] = [];
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { logLines: lines });
  });
  afterAll(() => svc?.service.stop());

  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  /** Sends the headers and the start of a body, then destroys the socket; returns the log lines it caused. */
  async function abortBody(framing: string, partialBody: string) {
    const token = await svc.token();
    const before = lines.length;
    const socket = await rawTlsConnect(svc.service.port, svc.ca);
    socket.on("error", () => {});
    socket.write(
      `POST /v1/sentiment HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n${partialBody}`,
    );
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 300));
    socket.destroy();
    const deadline = Date.now() + 5000;
    const request = () =>
      logged()
        .slice(before)
        .find((line) => line.msg === "request" && line.path === "/v1/sentiment");
    while (request() === undefined && Date.now() < deadline) {
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
    }
    return logged().slice(before);
  }

  it.each([
    ["a chunked body", "Transfer-Encoding: chunked", '5\r\n{"tex\r\n'],
    ["a Content-Length body", "Content-Length: 40", '{"tex'],
  ])(
    "records %s cut short as 400 at info, never as an unhandled 500",
    async (_name, framing, part) => {
      const caused = await abortBody(framing, part);
      const request = caused.find((line) => line.msg === "request");
      expect(request).toMatchObject({ status: 400, level: 30 });
      expect(caused.filter((line) => line.msg === "unhandled error")).toEqual([]);
      expect(caused.filter((line) => (line.level as number) >= 50)).toEqual([]);
    },
  );
});
