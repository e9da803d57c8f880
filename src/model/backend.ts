import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";

export class BackendUnavailableError extends Error {
  readonly code = "backend_unavailable";
  constructor(readonly backend: string) {
    super(`TensorFlow.js backend "${backend}" is not available`);
    this.name = "BackendUnavailableError";
  }
}

// A variable keeps the type checker from resolving the optional, usually absent, package.
const TFJS_NODE_PACKAGE: string = "@tensorflow/tfjs-node";

async function tryTensorflow(): Promise<boolean> {
  try {
    await import(TFJS_NODE_PACKAGE);
  } catch {
    return false;
  }
  return await trySetBackend("tensorflow");
}

async function trySetBackend(name: string): Promise<boolean> {
  try {
    // setBackend can resolve false (init failed) while getBackend still names it: trust the boolean.
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Activates a backend: "auto" tries tfjs-node, then WASM, then the plain CPU backend.
 * Returns the name of the backend in use; the caller logs it.
 */
export async function selectBackend(choice: BackendChoice = "auto"): Promise<string> {
  if (choice === "tensorflow" || choice === "auto") {
    if (await tryTensorflow()) return "tensorflow";
    if (choice === "tensorflow") throw new BackendUnavailableError("tensorflow");
  }
  if (choice === "wasm" || choice === "auto") {
    if (await trySetBackend("wasm")) return "wasm";
    if (choice === "wasm") throw new BackendUnavailableError("wasm");
  }
  if (await trySetBackend("cpu")) return "cpu";
  throw new BackendUnavailableError("cpu");
}
