import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { httpsRequest } from "../support/https-client.js";
import { freePort } from "../support/redis-server.js";
import { SHIPPED_MODEL_DIR } from "../support/service.js";
import {
  prepareServiceDir,
  spawnService,
  stopService,
  waitUntilReady,
} from "../support/service-process.js";

describe("SIGHUP", () => {
  it("switches to the model the config now names, without failing requests in flight", async () => {
    const { dir, ca, token } = await prepareServiceDir("deployer");
    // Version 2 of the model: the same weights under a new version in a new folder.
    const v2 = join(dir, "models/sentiment-v2");
    cpSync(SHIPPED_MODEL_DIR, v2, { recursive: true });
    const metadata = JSON.parse(readFileSync(join(v2, "metadata.json"), "utf8"));
    writeFileSync(
      join(v2, "metadata.json"),
      JSON.stringify({ ...metadata, version: "2.0.0-test" }),
    );
    const config = JSON.parse(
      readFileSync(resolve(import.meta.dirname, "../../config/api.json"), "utf8"),
    );
    const configFile = join(dir, "api.json");
    writeFileSync(
      configFile,
      JSON.stringify({ ...config, model: { ...config.model, dir: SHIPPED_MODEL_DIR } }),
    );

    const port = await freePort();
    const url = `https://localhost:${port}`;
    const child = spawnService(dir, {
      PORT: String(port),
      CONFIG_FILE: configFile,
      MODEL_DIR: "",
      INFERENCE_WORKERS: "1",
    });
    await waitUntilReady(url, ca);

    const score = async () => {
      const bearer = await token();
      const res = await httpsRequest(`${url}/v1/sentiment`, {
        ca,
        method: "POST",
        headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
        body: JSON.stringify({ text: "deploying on a friday, what could go wrong" }),
      });
      return {
        status: res.status,
        version: res.json<{ model?: { version: string } }>().model?.version,
      };
    };

    const seen: { status: number; version: string | undefined }[] = [];
    let running = true;
    const load = (async () => {
      while (running) seen.push(await score());
    })();
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(configFile, JSON.stringify({ ...config, model: { ...config.model, dir: v2 } }));
    child.kill("SIGHUP");
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !seen.some((entry) => entry.version === "2.0.0-test")) {
      await new Promise((r) => setTimeout(r, 100));
    }
    running = false;
    await load;
    expect(await stopService(child)).toBe(0);

    expect(seen.every((entry) => entry.status === 200)).toBe(true);
    expect(seen.some((entry) => entry.version === metadata.version)).toBe(true);
    expect(seen.at(-1)?.version).toBe("2.0.0-test");
  });
});
