import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { spawnTied, stopChild, untilPrinted } from "./tied-process.js";

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * Starts a server on a free port, trying another port when someone took the chosen one between
 * the asking and the binding (other test runs share this machine).
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt === 3 || !String(error).includes("Address already in use")) throw error;
    }
  }
}

/**
 * A throwaway `redis-server` child process without persistence, on its own port, that tests can
 * stop and start again on the same port. The machine's own Redis is never touched.
 */
export class ThrowawayRedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayRedisServer> {
    return startOnFreePort(async (port) => {
      const server = new ThrowawayRedisServer(port);
      await server.start();
      return server;
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts the process (again) and resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawnTied("redis-server", [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ]);
    this.child = child;
    try {
      await untilPrinted(child, "Ready to accept connections", "redis-server");
    } catch (error) {
      this.child = undefined;
      throw error;
    }
  }

  /** Stops the process (SIGTERM) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined) await stopChild(child, "SIGTERM");
  }

  /** Kills the process without waiting, for a run that is being interrupted. */
  kill(): void {
    this.child?.kill("SIGKILL");
  }
}
