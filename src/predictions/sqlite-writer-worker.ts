// Worker-thread entry of SqliteWriterThread: owns one SqlitePredictionStore and runs the calls the
// main thread posts, one at a time, in order.
import { parentPort, workerData } from "node:worker_threads";
import type { StoreUsage } from "./prediction-store.js";
import { SqlitePredictionStore } from "./sqlite-prediction-store.js";
import type {
  SqliteWriterConfig,
  SqliteWriterReply,
  SqliteWriterRequest,
} from "./sqlite-writer-thread.js";

const port = parentPort;
if (port === null) throw new Error("sqlite-writer-worker must run in a worker thread");
const reply = (message: SqliteWriterReply) => port.postMessage(message);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const config = workerData as SqliteWriterConfig;
let store: SqlitePredictionStore | undefined;
try {
  store = new SqlitePredictionStore(config.path, config.options);
  reply({ type: "opened" });
} catch (error) {
  reply({ type: "open_failed", message: messageOf(error) });
}

if (store !== undefined) {
  const opened = store;
  let crashOnNextInsert = false;
  port.on("message", async (request: SqliteWriterRequest) => {
    if (request.op === "crash_on_next_insert") {
      crashOnNextInsert = true;
      return;
    }
    if (request.op === "insert" && crashOnNextInsert) process.exit(1);
    try {
      let usage: StoreUsage | undefined;
      if (request.op === "migrate") await opened.migrate();
      else if (request.op === "insert") usage = await opened.insertRows(request.records);
      else if (request.op === "maintain") usage = await opened.maintain(request.nowMs);
      else await opened.close();
      reply({ type: "done", id: request.id, usage });
    } catch (error) {
      reply({ type: "failed", id: request.id, message: messageOf(error) });
    }
  });
}
