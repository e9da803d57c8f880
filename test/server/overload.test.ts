import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../support/service.js";

describe("back-pressure over HTTP", () => {
  let svc: TestService;
  beforeAll(async () => {
    // A queue of 8 texts: a burst of 4-text batches must overflow it.
    svc = await startTestService({ model: { maxBatchTexts: 4 }, inference: { maxQueuedTexts: 8 } });
  });
  afterAll(() => svc?.service.stop());

  const batch = async () =>
    svc.request("/v1/sentiment/batch", {
      method: "POST",
      headers: { Authorization: `Bearer ${await svc.token()}`, "Content-Type": "application/json" },
      body: JSON.stringify({ texts: ["one good text", "two bad texts", "three", "four"] }),
    });

  it("answers 503 overloaded with Retry-After at once when the queue is full, then recovers", async () => {
    const burst = await Promise.all(Array.from({ length: 60 }, () => batch()));
    const statuses = burst.map((res) => res.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    const refused = burst.find((res) => res.status === 503);
    expect(refused?.json()).toMatchObject({ error: "overloaded" });
    expect(refused?.json<{ message: string }>().message).toMatch(/new token after .*Retry-After/);
    expect(Number(refused?.headers["retry-after"])).toBeGreaterThanOrEqual(1);

    const after = await batch();
    expect(after.status).toBe(200);
  });
});
