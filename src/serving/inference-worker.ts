// Worker-thread entry: loads one model instance, warms it up, then answers predict requests one
// at a time. Started by InferenceWorkerPool through startModuleWorker.
import { parentPort, workerData } from "node:worker_threads";
import { loadSentimentModel, type SentimentModel } from "../model/inference.js";
import {
  encodePredictions,
  type InferenceWorkerConfig,
  type InferenceWorkerReply,
  type InferenceWorkerRequest,
  transferList,
} from "./worker-protocol.js";

const port = parentPort;
if (port === null) throw new Error("inference-worker must run in a worker thread");
const config = workerData as InferenceWorkerConfig;

function reply(message: InferenceWorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function load(): Promise<SentimentModel | undefined> {
  const started = performance.now();
  try {
    const options: Parameters<typeof loadSentimentModel>[1] = {};
    if (config.backend !== undefined) options.backend = config.backend;
    if (config.thresholds !== undefined) options.thresholds = config.thresholds;
    if (config.labelRule !== undefined) options.labelRule = config.labelRule;
    const model = await loadSentimentModel(config.modelDir, options);
    if (config.warmUpTexts.length > 0) await model.predict(config.warmUpTexts);
    // Metadata is cloned to the main thread; JSON round-trip drops anything not cloneable.
    const metadata = JSON.parse(JSON.stringify(model.metadata));
    reply({
      type: "ready",
      backend: model.backend,
      metadata,
      labelRule: model.labelRule,
      thresholds: model.thresholds,
      loadMs: performance.now() - started,
    });
    return model;
  } catch (error) {
    reply({ type: "load_failed", message: errorMessage(error) });
    return undefined;
  }
}

const model = await load();
if (model === undefined) {
  port.close();
} else {
  let crashOnNextPredict = false;
  port.on("message", async (request: InferenceWorkerRequest) => {
    if (request.type === "crash_on_next_predict") {
      crashOnNextPredict = true;
      return;
    }
    if (crashOnNextPredict) process.exit(1);
    const started = performance.now();
    try {
      const predictions = await model.predict(request.texts);
      if (predictions.length !== request.texts.length) {
        throw new Error(
          `model returned ${predictions.length} predictions for ${request.texts.length} texts`,
        );
      }
      const packed = encodePredictions(predictions);
      reply(
        { type: "predictions", id: request.id, ...packed, computeMs: performance.now() - started },
        transferList(packed),
      );
    } catch (error) {
      reply({ type: "predict_failed", id: request.id, message: errorMessage(error) });
    }
  });
}
