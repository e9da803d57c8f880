import type { Worker } from "node:worker_threads";
import { siblingModuleUrl, startModuleWorker } from "../serving/worker-thread-launcher.js";
import type { PredictionRecord } from "./prediction-record.js";
import { type PredictionSink, PredictionStoreError, type StoreUsage } from "./prediction-store.js";
import {
  type RecordTuple,
  recordTuple,
  type SqlitePredictionStoreOptions,
} from "./sqlite-prediction-store.js";

/** main thread -> writer thread */
export type SqliteWriterRequest =
  | { id: number; op: "migrate" }
  | { id: number; op: "insert"; records: readonly RecordTuple[] }
  | { id: number; op: "maintain"; nowMs: number }
  | { id: number; op: "close" }
  | { op: "crash_on_next_insert" };

/** writer thread -> main thread */
export type SqliteWriterReply =
  | { type: "opened" }
  | { type: "open_failed"; message: string }
  | { type: "done"; id: number; usage?: StoreUsage | undefined }
  | { type: "failed"; id: number; message: string };

export interface SqliteWriterConfig {
  path: string;
  options: SqlitePredictionStoreOptions;
}

type WriterCall =
  | { op: "migrate" | "close" }
  | { op: "insert"; records: readonly RecordTuple[] }
  | { op: "maintain"; nowMs: number };

interface Pending {
  resolve: (usage: StoreUsage | undefined) => void;
  reject: (error: Error) => void;
}

/**
 * The SQLite store run in a worker thread. better-sqlite3 is synchronous: a batch of 200 rows
 * takes several milliseconds, which on the HTTP thread would stall every request in flight.
 * A thread that dies fails its pending calls (the PredictionLog retries them) and is started
 * again by the next call.
 */
export class SqliteWriterThread implements PredictionSink {
  readonly kind = "sqlite";
  private thread: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly config: SqliteWriterConfig) {}

  /** Starts the thread; resolves once it opened the database file, rejects if it cannot. */
  static async open(
    path: string,
    options: SqlitePredictionStoreOptions = {},
  ): Promise<SqliteWriterThread> {
    const sink = new SqliteWriterThread({ path, options });
    sink.thread = sink.start();
    await sink.thread;
    return sink;
  }

  async migrate(): Promise<void> {
    await this.call({ op: "migrate" });
  }

  insertBatch(records: readonly PredictionRecord[]): Promise<StoreUsage | undefined> {
    if (records.length === 0) return Promise.resolve(undefined);
    return this.call({ op: "insert", records: records.map(recordTuple) });
  }

  maintain(nowMs: number): Promise<StoreUsage | undefined> {
    return this.call({ op: "maintain", nowMs });
  }

  /**
   * Test-only hook: makes the running thread exit (code 1) when it receives its next insert, as a
   * real crash would. Resolves once the thread has been told.
   */
  async crashOnNextInsertForTesting(): Promise<void> {
    (await this.runningThread()).postMessage({
      op: "crash_on_next_insert",
    } satisfies SqliteWriterRequest);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const thread = this.thread;
    try {
      if (thread !== undefined) await this.call({ op: "close" });
    } catch {
      // The thread is gone or failed to close the file; terminating it below is all that is left.
    } finally {
      this.closed = true;
      this.thread = undefined;
      if (thread !== undefined) await (await thread.catch(() => undefined))?.terminate();
    }
  }

  private async call(request: WriterCall): Promise<StoreUsage | undefined> {
    const thread = await this.runningThread();
    const id = this.nextId++;
    return new Promise<StoreUsage | undefined>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        thread.postMessage({ ...request, id } satisfies SqliteWriterRequest);
      } catch (error) {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** The thread, started again if the last one died; refused once the store is closed. */
  private runningThread(): Promise<Worker> {
    if (this.closed) {
      return Promise.reject(new PredictionStoreError("store_closed", "the store is closed"));
    }
    this.thread ??= this.start();
    return this.thread;
  }

  private start(): Promise<Worker> {
    const thread = startModuleWorker(siblingModuleUrl("sqlite-writer-worker", import.meta.url), {
      workerData: this.config satisfies SqliteWriterConfig,
    });
    return new Promise<Worker>((resolve, reject) => {
      let opened = false;
      thread.on("message", (reply: SqliteWriterReply) => {
        if (reply.type === "opened") {
          opened = true;
          resolve(thread);
        } else if (reply.type === "open_failed") {
          reject(new PredictionStoreError("store_thread_failed", reply.message));
        } else {
          const pending = this.pending.get(reply.id);
          this.pending.delete(reply.id);
          if (reply.type === "done") pending?.resolve(reply.usage);
          else pending?.reject(new Error(reply.message));
        }
      });
      thread.on("error", (error) => {
        if (!opened) reject(new PredictionStoreError("store_thread_failed", error.message));
      });
      thread.on("exit", (code) => {
        if (!opened) {
          reject(new PredictionStoreError("store_thread_failed", `writer thread exited (${code})`));
        }
        this.failPending(
          new PredictionStoreError(
            "store_thread_failed",
            `the SQLite writer thread exited with code ${code}`,
          ),
        );
        if (!this.closed) this.thread = undefined;
      });
    });
  }

  private failPending(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
