/** One autocannon run over HTTPS keep-alive with a fresh bearer token per request. */
import autocannon from "autocannon";

export interface LoadSpec {
  /** Full URL, e.g. https://127.0.0.1:8443/v1/sentiment */
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** JSON request bodies, used in turn. */
  readonly bodies: readonly string[];
  /** Called once per request for its Authorization header; omit for no auth. */
  readonly nextToken?: () => string;
  /** Texts scored per request (1 for single-text requests). */
  readonly textsPerRequest: number;
}

export interface LoadResult {
  readonly connections: number;
  readonly durationSeconds: number;
  /** 2xx responses. */
  readonly ok: number;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly requestsPerSecond: number;
  readonly textsPerSecond: number;
  /** Latency of 2xx responses in milliseconds. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** The load generator that produced this result. */
  readonly generator: "autocannon" | "wrk";
}

/** The q-quantile (0..1) of ascending `sorted` by the nearest-rank method; NaN when empty. */
export function quantile(sorted: Float64Array | readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Drives `spec` with autocannon and summarises what the server answered. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let bodyIndex = 0;
  const started = performance.now();
  let finish: (result: autocannon.Result) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const finished = new Promise<autocannon.Result>((resolveResult, reject) => {
    finish = resolveResult;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      duration: spec.durationSeconds,
      pipelining: 1,
      timeout: 30,
      method: "POST",
      headers: { "content-type": "application/json" },
      requests: [
        {
          setupRequest(request) {
            const body = spec.bodies[bodyIndex % spec.bodies.length] as string;
            bodyIndex += 1;
            const headers = { ...request.headers };
            if (spec.nextToken) headers.authorization = `Bearer ${spec.nextToken()}`;
            return { ...request, headers, body };
          },
        },
      ],
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
  });
  const result = await finished;
  const elapsedSeconds = Math.max((performance.now() - started) / 1000, 1e-9);
  const sorted = Float64Array.from(latencies).sort();
  const ok = latencies.length;
  const answered = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    connections: spec.connections,
    durationSeconds: elapsedSeconds,
    ok,
    non2xx: answered - ok,
    errors: result.errors,
    statusCodes,
    requestsPerSecond: ok / elapsedSeconds,
    textsPerSecond: (ok * spec.textsPerRequest) / elapsedSeconds,
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
    generator: "autocannon",
  };
}
