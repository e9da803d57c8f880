import type { ChildProcess } from "node:child_process";
import { chown, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { startOnFreePort } from "./redis-server.js";
import { postgresBinDirectory } from "./system-programs.js";
import { spawnTied, stopChild, untilPrinted } from "./tied-process.js";

type Account = { uid: number; gid: number };

/** PostgreSQL refuses to run as root; as root it runs as the `postgres` system user. */
async function serverAccount(): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const fields = (await readFile("/etc/passwd", "utf8"))
    .split("\n")
    .map((line) => line.split(":"))
    .find(([name]) => name === "postgres");
  if (fields === undefined) {
    throw new Error("PostgreSQL will not run as root, and there is no postgres user to run it as");
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

async function runToEnd(child: ChildProcess, name: string): Promise<void> {
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`${name} exited (${code}): ${output.slice(-1000)}`);
}

/**
 * A throwaway PostgreSQL cluster: initdb in a directory of the caller's, the server a child of
 * this process on a free port of 127.0.0.1 (its socket in that directory), with a `test`
 * database and trust authentication for `postgres`. Durability is off: nothing outlives the run.
 */
export class ThrowawayPostgresServer {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  /** Creates and starts a cluster in `directory`, an empty directory the caller removes later. */
  static async start(directory: string): Promise<ThrowawayPostgresServer> {
    const bin = postgresBinDirectory();
    if (bin === undefined) {
      throw new Error("PostgreSQL's initdb is missing: apt-get install postgresql");
    }
    const runAs = await serverAccount();
    if (runAs !== undefined) await chown(directory, runAs.uid, runAs.gid);
    const data = join(directory, "data");
    const initdb = spawnTied(
      join(bin, "initdb"),
      ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      { runAs },
    );
    await runToEnd(initdb, "initdb");

    const server = await startOnFreePort(async (port) => {
      const child = spawnTied(
        join(bin, "postgres"),
        [
          ...["-D", data, "-p", String(port), "-k", directory],
          ...["-c", "listen_addresses=127.0.0.1"],
          ...["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        ],
        // SIGQUIT: immediate shutdown, the right end for a cluster that is thrown away.
        { runAs, deathSignal: "SIGQUIT" },
      );
      await untilPrinted(child, "ready to accept connections", "postgres");
      return new ThrowawayPostgresServer(port, child);
    });
    const admin = new pg.Client({ host: "127.0.0.1", port: server.port, user: "postgres" });
    await admin.connect();
    try {
      await admin.query("CREATE DATABASE test");
    } finally {
      await admin.end();
    }
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/test`;
  }

  /** Fast shutdown (SIGINT: sessions are ended, not waited for); resolves once it has exited. */
  stop(): Promise<void> {
    return stopChild(this.child, "SIGINT");
  }

  /** Immediate shutdown without waiting, for a run that is being interrupted. */
  kill(): void {
    this.child.kill("SIGQUIT");
  }
}
