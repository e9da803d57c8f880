import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../src/model/backend.js";

describe("selectBackend", () => {
  it("activates the CPU backend when asked and reports it", async () => {
    expect(await selectBackend("cpu")).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("activates the WASM backend when asked and reports it", async () => {
    expect(await selectBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("in auto mode activates and reports one of the known backends", async () => {
    const name = await selectBackend("auto");
    expect(["tensorflow", "wasm", "cpu"]).toContain(name);
    expect(tf.getBackend()).toBe(name);
  });

  it("fails with backend_unavailable or activates tfjs-node when tensorflow is demanded", async () => {
    const outcome = await selectBackend("tensorflow").catch((e: unknown) => e);
    if (outcome === "tensorflow") {
      expect(tf.getBackend()).toBe("tensorflow");
    } else {
      expect(outcome).toMatchObject({ code: "backend_unavailable" });
    }
  });
});
