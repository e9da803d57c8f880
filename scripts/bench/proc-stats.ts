/**
 * CPU time and memory of processes from /proc (Linux only): what a server spent, not what the
 * load generator saw.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Kernel clock ticks per second (the unit of utime/stime in /proc/<pid>/stat). */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = Number.NaN;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** The fields after the command name of a /proc/<pid>/stat line (the name may hold spaces). */
function statFields(statLine: string): string[] {
  return statLine
    .slice(statLine.lastIndexOf(")") + 2)
    .trim()
    .split(" ");
}

/** utime + stime of one process, all its threads included, in seconds; NaN if it is gone. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, "utf8"));
    // Field 14 (utime) and 15 (stime) of proc(5); index 0 here is field 3 (state).
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** `pid` and every process below it (e.g. node:cluster workers). */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(statFields(readFileSync(`/proc/${entry}/stat`, "utf8"))[1]);
      const siblings = children.get(parent) ?? [];
      siblings.push(Number(entry));
      children.set(parent, siblings);
    } catch {
      // The process exited while we were listing.
    }
  }
  const tree: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    tree.push(next);
    pending.push(...(children.get(next) ?? []));
  }
  return tree;
}

/**
 * The node processes of a tree: the server and its node:cluster workers, without helpers such as
 * tsx's esbuild service.
 */
function nodeProcessTree(pid: number): number[] {
  const node = realpathSync(process.execPath);
  return processTree(pid).filter((member) => {
    try {
      return readlinkSync(`/proc/${member}/exe`) === node;
    } catch {
      return false;
    }
  });
}

/** CPU seconds of the node processes of a tree, summed. */
export function processTreeCpuSeconds(pid: number): number {
  return nodeProcessTree(pid)
    .map(processCpuSeconds)
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
}

/** CPU seconds of one thread of a process so far. */
export interface ThreadCpu {
  readonly pid: number;
  readonly tid: number;
  readonly seconds: number;
}

/** utime + stime of every thread of the node processes of a tree (threads that exit are left out). */
export function processTreeThreadCpu(pid: number): ThreadCpu[] {
  return nodeProcessTree(pid).flatMap((member) => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${member}/task`);
    } catch {
      return [];
    }
    return tids.flatMap((tid) => {
      try {
        const fields = statFields(readFileSync(`/proc/${member}/task/${tid}/stat`, "utf8"));
        const seconds = (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
        return [{ pid: member, tid: Number(tid), seconds }];
      } catch {
        return [];
      }
    });
  });
}

export interface ProcessMemory {
  readonly pid: number;
  readonly command: string;
  /** Resident set now (VmRSS). */
  readonly rssBytes: number;
  /** Highest resident set so far (VmHWM). */
  readonly peakRssBytes: number;
}

/** VmRSS and VmHWM of one process, or undefined if it is gone. */
function processMemory(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
    const command = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "?";
    return { pid, command, rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Memory of every node process in a tree (the server and its cluster workers). */
export function processTreeMemory(pid: number): ProcessMemory[] {
  return nodeProcessTree(pid)
    .map(processMemory)
    .filter((memory): memory is ProcessMemory => memory !== undefined);
}
