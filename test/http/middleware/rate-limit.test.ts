import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../support/service.js";

describe("per-issuer rate limits", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      rateLimit: {
        requestsPerSecond: 1000,
        burst: 1000,
        issuers: { "tight-client": { requestsPerSecond: 1, burst: 3 } },
      },
    });
  });
  afterAll(() => svc?.service.stop());

  const whoami = async (issuer: string) =>
    svc.request("/v1/whoami", { headers: { Authorization: `Bearer ${await svc.token(issuer)}` } });

  it("answers 429 with Retry-After and RateLimit headers once an issuer's bucket is empty", async () => {
    const statuses: number[] = [];
    let last = await whoami("tight-client");
    statuses.push(last.status);
    for (let i = 0; i < 3; i++) {
      last = await whoami("tight-client");
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last.json()).toMatchObject({ error: "rate_limited" });
    expect(last.json<{ message: string }>().message).toMatch(/new token after .*Retry-After/);
    expect(Number(last.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(last.headers["ratelimit-limit"]).toBe("3");
    expect(last.headers["ratelimit-remaining"]).toBe("0");
  });

  it("has used up a refused token, as the 429 message says: resent, it is token_replayed", async () => {
    const token = await svc.token("tight-client");
    const send = () => svc.request("/v1/whoami", { headers: { Authorization: `Bearer ${token}` } });
    expect((await send()).status).toBe(429);
    expect((await send()).json()).toMatchObject({ error: "token_replayed" });
  });

  it("counts each issuer separately and reports the remaining budget", async () => {
    const res = await whoami("test-client");
    expect(res.status).toBe(200);
    expect(res.headers["ratelimit-limit"]).toBe("1000");
    expect(Number(res.headers["ratelimit-remaining"])).toBeGreaterThan(900);
  });
});
