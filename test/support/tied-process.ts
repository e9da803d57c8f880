import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

export interface TiedSpawnOptions extends SpawnOptions {
  /** What the kernel sends the child when this process dies. */
  deathSignal?: NodeJS.Signals;
  /** Run as this user and group instead of ours (needs root). */
  runAs?: { uid: number; gid: number };
}

/**
 * Spawns a program that cannot outlive this process: the kernel sends it `deathSignal` when this
 * process dies, even by SIGKILL (PR_SET_PDEATHSIG through util-linux's setpriv, which also
 * switches the user when asked). A killed test run leaves no server behind.
 */
export function spawnTied(
  command: string,
  args: readonly string[],
  { deathSignal = "SIGTERM", runAs, ...options }: TiedSpawnOptions = {},
): ChildProcess {
  const user =
    runAs === undefined ? [] : [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--init-groups"];
  const signal = deathSignal.replace(/^SIG/, "");
  return spawn("setpriv", [...user, "--pdeathsig", signal, "--", command, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...options,
  });
}

/**
 * Resolves once the child prints `marker` (on stdout or stderr) and keeps draining its output
 * afterwards; rejects with the end of its output if it exits first.
 */
export function untilPrinted(child: ChildProcess, marker: string, name: string): Promise<void> {
  let output = "";
  return new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes(marker)) return;
      for (const stream of [child.stdout, child.stderr]) {
        stream?.off("data", onData);
        stream?.resume();
      }
      child.off("exit", onExit);
      resolve();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      reject(new Error(`${name} exited (${code ?? signal}): ${output.slice(-1000)}`));
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", reject);
    child.once("exit", onExit);
  });
}

/** Sends `signal` and resolves once the child has exited (at once if it already has). */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}
