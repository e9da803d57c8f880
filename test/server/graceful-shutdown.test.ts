import { describe, expect, it } from "vitest";
import { httpsRequest } from "../support/https-client.js";
import { freePort } from "../support/redis-server.js";
import {
  prepareServiceDir,
  spawnService,
  stopService,
  waitUntilReady,
} from "../support/service-process.js";

describe("SIGTERM under load", () => {
  it("finishes every request accepted before the signal, then exits 0", async () => {
    const { dir, ca, token } = await prepareServiceDir("loader");
    const port = await freePort();
    const url = `https://localhost:${port}`;
    const child = spawnService(dir, {
      PORT: String(port),
      INFERENCE_WORKERS: "1",
      PREDICTION_LOG: "true",
    });
    let stdout = "";
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
    });
    await waitUntilReady(url, ca);

    const texts = Array.from({ length: 200 }, (_, i) => `request text number ${i}, rather good`);
    const sent: Promise<void>[] = [];
    const send = async () => {
      let markSent = () => {};
      sent.push(new Promise<void>((r) => (markSent = r)));
      const bearer = await token();
      return httpsRequest(`${url}/v1/sentiment/batch`, {
        ca,
        method: "POST",
        headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
        body: JSON.stringify({ texts }),
        onSent: () => markSent(),
      });
    };
    // 10 x 200 texts stays within the default queue bound (4096 texts) so none is refused as overloaded.
    const inFlight = Array.from({ length: 10 }, () => send());
    // Signal once every request is on the wire, while most are still queued for the model.
    await new Promise((r) => setImmediate(r));
    await Promise.all(sent);
    const exitCode = stopService(child);
    const results = await Promise.allSettled(inFlight);

    const answered = results.filter((r) => r.status === "fulfilled").map((r) => r.value.status);
    expect(answered.length).toBe(results.length);
    expect(answered).toEqual(answered.map(() => 200));
    expect(await exitCode).toBe(0);
    await expect(httpsRequest(`${url}/healthz`, { ca })).rejects.toThrow();
    expect(stdout).not.toMatch(/"level":(50|60)/);
  });
});
