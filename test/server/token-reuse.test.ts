import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../support/service.js";

const LIMITED_ISSUER = "limited-client";

/** The Prometheus text the service's metrics port serves. */
function scrape(port: number | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/metrics" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

function cacheLookups(metrics: string, result: "hit" | "miss"): number {
  const line = metrics
    .split("\n")
    .find((each) => each.startsWith(`asap_token_cache_lookups_total{result="${result}"}`));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

describe("a caller that reuses its token (replay protection off)", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      asap: { replayProtection: false, validIssuers: ["test-client", LIMITED_ISSUER] },
      rateLimit: { issuers: { [LIMITED_ISSUER]: { requestsPerSecond: 1, burst: 2 } } },
      predictions: { enabled: false },
    });
  });
  afterAll(() => svc.service.stop());

  const whoami = (token: string) =>
    svc.request("/v1/whoami", { headers: { Authorization: `Bearer ${token}` } });

  it("is accepted every time, the reuses served by the verified-token cache", async () => {
    const token = await svc.token();
    const before = await scrape(svc.service.metricsPort);
    const responses = [await whoami(token), await whoami(token), await whoami(token)];
    expect(responses.map((res) => res.status)).toEqual([200, 200, 200]);
    expect(responses[2]?.json()).toEqual(responses[0]?.json());
    const after = await scrape(svc.service.metricsPort);
    expect(cacheLookups(after, "hit") - cacheLookups(before, "hit")).toBe(2);
    expect(cacheLookups(after, "miss") - cacheLookups(before, "miss")).toBe(1);
  });

  it("still answers 403 on each use of an issuer outside ASAP_VALID_ISSUERS", async () => {
    const token = await svc.token("stranger");
    const statuses = [(await whoami(token)).status, (await whoami(token)).status];
    expect(statuses).toEqual([403, 403]);
  });

  it("still refuses a reused token for another audience", async () => {
    const token = await svc.token("test-client", { audience: "another-api" });
    const uses = [await whoami(token), await whoami(token)];
    expect(uses.map((res) => res.status)).toEqual([401, 401]);
    expect(uses[1]?.json()).toMatchObject({ error: "invalid_audience" });
  });

  it("still counts every reuse against the issuer's rate limit", async () => {
    const token = await svc.token(LIMITED_ISSUER);
    // Sent together, so the bucket (2, refilling 1/s) cannot refill between them.
    const statuses = (await Promise.all(Array.from({ length: 6 }, () => whoami(token)))).map(
      (res) => res.status,
    );
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
  });
});

describe("a caller that reuses its token (replay protection on, the default)", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ predictions: { enabled: false } });
  });
  afterAll(() => svc.service.stop());

  it("is refused as token_replayed on the second use", async () => {
    const token = await svc.token();
    const headers = { Authorization: `Bearer ${token}` };
    const first = await svc.request("/v1/whoami", { headers });
    const second = await svc.request("/v1/whoami", { headers });
    expect([first.status, second.status]).toEqual([200, 401]);
    expect(second.json()).toMatchObject({ error: "token_replayed" });
    expect(cacheLookups(await scrape(svc.service.metricsPort), "hit")).toBe(0);
  });
});
