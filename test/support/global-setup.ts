// Vitest global setup: one throwaway Redis and one throwaway PostgreSQL for the whole run, unless
// the caller names servers of their own in TEST_REDIS_URL / TEST_DATABASE_URL. Test files read
// the URLs from service-urls.ts (worker processes inherit this process's environment).
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ThrowawayPostgresServer } from "./postgres-server.js";
import { ThrowawayRedisServer } from "./redis-server.js";

const INTERRUPTIONS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** Each run's directory is named after its process, so a later run can tell a stale one. */
const DIRECTORY_PREFIX = "sentiment-api-test-";

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes what runs that were killed outright (SIGKILL) left in the temporary directory. */
function removeStaleDirectories(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(new RegExp(`^${DIRECTORY_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!Number.isInteger(pid) || isRunning(pid)) continue;
    try {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    } catch {
      // Another user's: theirs to remove.
    }
  }
}

interface ThrowawayServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  kill(): void;
}

export default async function provideTestServers(): Promise<() => Promise<void>> {
  const startedAt = performance.now();
  removeStaleDirectories();
  const directory = mkdtempSync(join(tmpdir(), `${DIRECTORY_PREFIX}${process.pid}-`));
  const services = [
    { name: "Redis", variable: "TEST_REDIS_URL", start: () => ThrowawayRedisServer.start() },
    {
      name: "PostgreSQL",
      variable: "TEST_DATABASE_URL",
      start: () => ThrowawayPostgresServer.start(directory),
    },
  ];
  const given = services.filter(({ variable }) => process.env[variable]);
  const wanted = services.filter(({ variable }) => !process.env[variable]);
  const started = await Promise.allSettled(wanted.map(({ start }) => start()));
  const servers: ThrowawayServer[] = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );

  // Vitest runs no teardown when interrupted, so servers and files go here (the servers also
  // die with this process on their own, see spawnTied).
  const removeNow = () => {
    for (const server of servers) server.kill();
    rmSync(directory, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
  };
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    removeNow();
    throw failure.reason;
  }
  let interrupted = false;
  const onInterruption = (signal: NodeJS.Signals) => {
    // Stays registered while removing, so a second signal cannot kill this process half-way.
    if (interrupted) return;
    interrupted = true;
    removeNow();
    for (const interruption of INTERRUPTIONS) process.off(interruption, onInterruption);
    // Let vitest's own handler end the run, or end it as the signal would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  for (const interruption of INTERRUPTIONS) process.on(interruption, onInterruption);

  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const described = wanted.map(({ name, variable }, index) => {
    const server = servers[index] as ThrowawayServer;
    process.env[variable] = server.url;
    return `throwaway ${name} on 127.0.0.1:${server.port}`;
  });
  for (const { name, variable } of given) described.push(`${name} of ${variable}`);
  console.log(`test servers: ${described.join(", ")} (${seconds} s)`);

  return async () => {
    for (const interruption of INTERRUPTIONS) process.off(interruption, onInterruption);
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(directory, { recursive: true, force: true });
  };
}
