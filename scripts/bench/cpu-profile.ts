/**
 * Summarises V8 `.cpuprofile` files (node --cpu-prof): self time per function and per category
 * (TLS, JSON, token verification, routing, worker messages, GC...).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionSelfTime {
  readonly name: string;
  /** `file:line`, shortened to the package or repository path; "" for native code. */
  readonly location: string;
  readonly category: string;
  readonly selfMs: number;
}

export interface ProfileSummary {
  readonly wallMs: number;
  readonly idleMs: number;
  /** Sampled time that was not idle. */
  readonly busyMs: number;
  /** Busy time by category, largest first. */
  readonly categories: readonly { category: string; selfMs: number }[];
  /** Busy time by function, largest first. */
  readonly functions: readonly FunctionSelfTime[];
}

const IDLE = "idle";

/**
 * Code that owns everything it calls: node internals called from src/asap count as verification.
 * Only code that never calls back into the request pipeline may own (middleware calls next()).
 */
const OWNER_CATEGORIES: readonly [RegExp, string][] = [
  [
    /\/node_modules\/jose\/|\/src\/asap\//,
    "token verification (src/asap: node:crypto, claims, replay)",
  ],
  [/\/node_modules\/zod\//, "zod validation"],
  [
    /\/node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|quick-format-unescaped)\//,
    "logging (pino, access log)",
  ],
  [/\/src\/serving\/|node:internal\/worker/, "worker message passing + serving engine"],
  [
    /\/node_modules\/better-sqlite3\/|\/node_modules\/pg\/|\/src\/predictions\//,
    "prediction log (SQLite/Postgres)",
  ],
  [/\/src\/rate-limit\//, "rate limiting"],
  [/\/node_modules\/prom-client\//, "metrics"],
];

/** Where a frame's own code lives, when no owner above it claims it. */
const URL_CATEGORIES: readonly [RegExp, string][] = [
  // Middleware: only its own frames (what it awaits through next() belongs to the rest).
  [/\/src\/http\/middleware\/rate-limit/, "rate limiting"],
  [/\/src\/http\/middleware\/access-log/, "logging (pino, access log)"],
  [/\/src\/metrics\//, "metrics"],
  [/\/node_modules\/@hono\/node-server\//, "@hono/node-server adapter (Request/Response)"],
  [/\/node_modules\/hono\//, "Hono routing + middleware"],
  [/\/src\/http\//, "app routes + middleware (src/http)"],
  [/node:_http_|node:http$|node:https$|node:internal\/http/, "node HTTP parse/serialise"],
  [
    /node:_tls|node:tls$|node:internal\/tls|node:net$|node:internal\/stream_base_commons|node:internal\/net/,
    "TLS + socket I/O",
  ],
  [/node:internal\/crypto|node:crypto$/, "crypto (other: randomUUID...)"],
  [
    /node:internal\/deps\/undici|node:internal\/webstreams|node:internal\/abort_controller|node:internal\/event_target|node:internal\/url/,
    "WHATWG Request/Response/streams/URL",
  ],
  [
    /node:internal\/streams|node:stream|node:events|node:buffer|node:internal\/buffer/,
    "node streams/events/buffers",
  ],
  [
    /node:internal\/process\/task_queues|node:internal\/timers|node:timers|node:internal\/async_hooks|node:internal\/process/,
    "event loop, promises, timers",
  ],
  [/\/node_modules\/tsx\/|node:internal\/modules/, "module loading (tsx)"],
  [/\/src\//, "app code (src, other)"],
];

/** The owner category of a frame's code, if it is one of the owners. */
function ownerCategory(url: string): string | undefined {
  for (const [pattern, category] of OWNER_CATEGORIES) if (pattern.test(url)) return category;
  return undefined;
}

/** The category of one frame's own code, or undefined for native frames (they take their caller's). */
function categoriseFrame(functionName: string, url: string): string | undefined {
  if (functionName === "(idle)" || functionName === "(root)") return IDLE;
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(program)") return "(program): native, outside JS (epoll, TLS reads...)";
  if (url === "" && /^(JSON\.)?(parse|stringify)$/.test(functionName))
    return "JSON parse/stringify";
  if (url === "") return undefined;
  const owner = ownerCategory(url);
  if (owner !== undefined) return owner;
  for (const [pattern, category] of URL_CATEGORIES) if (pattern.test(url)) return category;
  return url.startsWith("node:") ? "node internals (other)" : "other JS";
}

function shortLocation(url: string, line: number): string {
  if (url === "") return "";
  const short = url
    .replace(/^file:\/\/.*\/node_modules\//, "")
    .replace(/^file:\/\/.*?\/(src|scripts)\//, "$1/");
  return `${short}:${line + 1}`;
}

/** A span of the monotonic clock in microseconds (process.hrtime and V8 profiles share it on Linux). */
export interface TimeWindow {
  readonly startMicros: number;
  readonly endMicros: number;
}

/** Self time per function and category of one profile, only samples inside `window` if given. */
export function summariseCpuProfile(profile: CpuProfile, window?: TimeWindow): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const nodeCategory = (id: number): string => {
    const node = byId.get(id);
    if (node === undefined) return "other JS";
    const { functionName, url } = node.callFrame;
    const own = categoriseFrame(functionName, url);
    // Idle, GC and (program) are nobody's caller.
    if (own !== undefined && functionName.startsWith("(")) return own;
    // The nearest owner on the stack (jose, zod, pino, serving) claims what it called.
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const owner = ownerCategory(byId.get(at)?.callFrame.url ?? "");
      if (owner !== undefined) return owner;
    }
    if (own !== undefined) return own;
    // Native frames (bindings such as writev) cost what their JS caller asked for.
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const caller = byId.get(at)?.callFrame;
      const category = caller && categoriseFrame(caller.functionName, caller.url);
      if (category !== undefined && category !== IDLE) return category;
    }
    return "native (other)";
  };
  const categoryCache = new Map<number, string>();
  const categoryOf = (id: number): string => {
    let category = categoryCache.get(id);
    if (category === undefined) {
      category = nodeCategory(id);
      categoryCache.set(id, category);
    }
    return category;
  };

  const from = window?.startMicros ?? Number.NEGATIVE_INFINITY;
  const to = window?.endMicros ?? Number.POSITIVE_INFINITY;
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) continue;
    // Each sample lasts until the next one.
    const duration = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i] as number;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + Math.max(0, duration));
  }

  const functions = new Map<string, FunctionSelfTime>();
  const categories = new Map<string, number>();
  let idleMicros = 0;
  let sampledMicros = 0;
  for (const [id, micros] of selfMicros) {
    sampledMicros += micros;
    const node = byId.get(id);
    const category = categoryOf(id);
    if (category === IDLE) {
      idleMicros += micros;
      continue;
    }
    categories.set(category, (categories.get(category) ?? 0) + micros);
    const name = node?.callFrame.functionName || "(anonymous)";
    const location = shortLocation(node?.callFrame.url ?? "", node?.callFrame.lineNumber ?? 0);
    const key = `${name}\u0000${location}\u0000${category}`;
    const previous = functions.get(key);
    functions.set(key, {
      name,
      location,
      category,
      selfMs: (previous?.selfMs ?? 0) + micros / 1000,
    });
  }
  return {
    wallMs: (Math.min(to, profile.endTime) - Math.max(from, profile.startTime)) / 1000,
    idleMs: idleMicros / 1000,
    busyMs: (sampledMicros - idleMicros) / 1000,
    categories: [...categories]
      .map(([category, micros]) => ({ category, selfMs: micros / 1000 }))
      .sort((a, b) => b.selfMs - a.selfMs),
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
  };
}

export interface ProfileFile {
  readonly file: string;
  readonly pid: number;
  /** 0 is the main thread; worker threads count up from 1. */
  readonly threadId: number;
}

/** The profiles node wrote to `dir` (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile). */
export function listProfiles(dir: string): ProfileFile[] {
  return readdirSync(dir)
    .map((name) => ({ name, match: /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(name) }))
    .filter((entry) => entry.match !== null)
    .map(({ name, match }) => ({
      file: join(dir, name),
      pid: Number(match?.[1]),
      threadId: Number(match?.[2]),
    }));
}

/** Whether any frame of the profile runs code whose URL matches `pattern` (tells threads apart). */
export function profileRuns(profile: CpuProfile, pattern: RegExp): boolean {
  return profile.nodes.some((node) => pattern.test(node.callFrame.url));
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}
