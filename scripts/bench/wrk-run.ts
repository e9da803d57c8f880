/**
 * One wrk run (HTTPS keep-alive, 1 thread) with a Lua script that sends every request its own
 * pre-minted bearer token, read from a file before the run: wrk costs the shared cores a fraction
 * of what autocannon does, and nothing is signed while the server is measured.
 */
import { execFile, execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadResult } from "./load-run.js";

/** The wrk executable when it is installed (Debian package `wrk`), else undefined. */
export function findWrk(): string | undefined {
  try {
    const path = execFileSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).trim();
    return path === "" ? undefined : path;
  } catch {
    return undefined;
  }
}

export interface WrkSpec {
  readonly wrk: string;
  /** Full URL, e.g. https://127.0.0.1:8443/v1/sentiment */
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Scratch directory for the Lua script and the bodies file. */
  readonly workDir: string;
  /** JSON request bodies (no newlines), used in turn. */
  readonly bodies: readonly string[];
  /**
   * Tokens, one per line: "fresh" sends each once, in order (a request past the end reuses the
   * last one and is counted as `exhausted`); "cycle" sends them in turn, again and again.
   */
  readonly tokens?: {
    readonly file: string;
    readonly count: number;
    readonly mode: "fresh" | "cycle";
  };
  readonly textsPerRequest: number;
}

export interface WrkResult extends LoadResult {
  /** CPU seconds wrk used (user + system). */
  readonly cpuSeconds: number;
  /** Requests sent after the token file ran out ("fresh" mode). */
  readonly exhaustedTokens: number;
  /** The wrk command line (the Lua script is written beside the bodies file). */
  readonly command: string;
}

// request() builds each request from the next token; without tokens, one request is reused.
// done() runs in the main Lua state: the thread's counters are read through thread:get.
const LUA_SCRIPT = `
local bodies, tokens = {}, {}
local tokenCount, mode, path, lastToken = 0, "none", "/", ""
-- Globals, so done() can read them with thread:get.
index, exhausted = 0, 0
local threads = {}

local function readLines(file, into)
  local n = 0
  for line in io.lines(file) do
    if line ~= "" then n = n + 1; into[n] = line end
  end
  return n
end

setup = function(thread) table.insert(threads, thread) end

local function dynamicRequest()
  index = index + 1
  local headers = { ["Content-Type"] = "application/json" }
  if mode == "fresh" then
    local token = tokens[index]
    -- Past the end of the file: the last token again (the server refuses it as a replay).
    if token == nil then exhausted = exhausted + 1; token = lastToken
    else tokens[index] = nil; lastToken = token end
    headers["Authorization"] = "Bearer " .. token
  elseif mode == "cycle" then
    headers["Authorization"] = "Bearer " .. tokens[(index - 1) % tokenCount + 1]
  end
  return wrk.format("POST", path, headers, bodies[(index - 1) % bodies.n + 1])
end

init = function(args)
  path = args[1]
  local bodyCount = readLines(args[2], bodies)
  mode = args[4] or "none"
  if mode ~= "none" then tokenCount = readLines(args[3], tokens) end
  bodies.n = bodyCount
  if mode == "none" and bodyCount == 1 then
    wrk.method = "POST"; wrk.body = bodies[1]; wrk.headers["Content-Type"] = "application/json"
  else
    request = dynamicRequest
  end
end

done = function(summary, latency, requests)
  local sent, ran_out = 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("index") or 0)
    ran_out = ran_out + (thread:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_WRK_RESULT {"requests":%d,"durationMicros":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%.1f,"p95":%.1f,"p99":%.1f,"sent":%d,"exhausted":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), sent, ran_out))
end
`;

interface WrkSummary {
  requests: number;
  durationMicros: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p95: number;
  p99: number;
  exhausted: number;
}

/** "0m1.234s" (bash `times`) in seconds. */
function shellSeconds(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
}

/** Runs wrk under bash so `times` reports its CPU; resolves with what the server answered. */
export async function runWrk(spec: WrkSpec): Promise<WrkResult> {
  const url = new URL(spec.url);
  const script = join(spec.workDir, "bench-wrk.lua");
  const bodiesFile = join(spec.workDir, `bench-wrk-bodies-${process.pid}.txt`);
  writeFileSync(script, LUA_SCRIPT);
  writeFileSync(bodiesFile, `${spec.bodies.join("\n")}\n`);
  const wrkArgs = [
    "-t1",
    `-c${spec.connections}`,
    `-d${Math.max(1, Math.round(spec.durationSeconds))}s`,
    "--timeout",
    "30s",
    "-s",
    script,
    `${url.origin}${url.pathname}`,
    "--",
    url.pathname,
    bodiesFile,
    spec.tokens?.file ?? "",
    spec.tokens?.mode ?? "none",
  ];
  const stdout = await new Promise<string>((resolveRun, reject) => {
    execFile(
      "bash",
      [
        "-c",
        'wrk_bin="$1"; shift; "$wrk_bin" "$@"; rc=$?; times; exit $rc',
        "bash",
        spec.wrk,
        ...wrkArgs,
      ],
      { maxBuffer: 4 * 1024 * 1024, timeout: (spec.durationSeconds + 120) * 1000 },
      (error, out, err) =>
        error ? reject(new Error(`wrk failed: ${error.message}\n${err}`)) : resolveRun(out),
    );
  });
  const line = stdout.split("\n").find((text) => text.startsWith("BENCH_WRK_RESULT "));
  if (line === undefined) throw new Error(`wrk printed no result:\n${stdout}`);
  const summary = JSON.parse(line.slice("BENCH_WRK_RESULT ".length)) as WrkSummary;
  // `times` prints the shell's own times, then its children's (wrk's).
  const children = stdout.trim().split("\n").at(-1)?.split(/\s+/) ?? [];
  const cpuSeconds = shellSeconds(children[0] ?? "") + shellSeconds(children[1] ?? "");
  const seconds = Math.max(summary.durationMicros / 1e6, 1e-9);
  const non2xx = summary.status;
  const ok = Math.max(0, summary.requests - non2xx);
  return {
    connections: spec.connections,
    durationSeconds: seconds,
    ok,
    non2xx,
    errors: summary.connect + summary.read + summary.write + summary.timeout,
    statusCodes: non2xx > 0 ? { "4xx/5xx": non2xx } : {},
    requestsPerSecond: ok / seconds,
    textsPerSecond: (ok * spec.textsPerRequest) / seconds,
    // wrk's latencies cover every response, not only the 2xx ones.
    p50Ms: summary.p50 / 1000,
    p95Ms: summary.p95 / 1000,
    p99Ms: summary.p99 / 1000,
    generator: "wrk",
    cpuSeconds,
    exhaustedTokens: summary.exhausted,
    command: `wrk -t1 -c${spec.connections} -d${Math.max(1, Math.round(spec.durationSeconds))}s --timeout 30s -s bench-wrk.lua ${url.origin}${url.pathname} -- <path> <bodies> <tokens> ${spec.tokens?.mode ?? "none"}`,
  };
}
