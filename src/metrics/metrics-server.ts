// Prometheus scrapes over plain HTTP; the endpoint is kept off the public HTTPS port (no ASAP
// there) and bound to loopback by default, so only the local agent or a sidecar can read it.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const DEFAULT_METRICS_HOST = "127.0.0.1";
export const DEFAULT_METRICS_PORT = 9464;

/** Anything that renders the exposition text: a prom-client Registry, or a cluster aggregate. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsServerOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly registry: MetricsSource;
}

export interface RunningMetricsServer {
  readonly port: number;
  /** e.g. http://127.0.0.1:9464/metrics */
  readonly url: string;
  close(): Promise<void>;
}

/** The metrics port could not be opened (in use, not permitted, bad host). */
export class MetricsServerError extends Error {
  readonly code = "metrics_listen_failed";
}

/** Serves `GET /metrics` (and HEAD); 405 for other methods there, 404 for every other path. */
export async function startMetricsServer(
  options: MetricsServerOptions,
): Promise<RunningMetricsServer> {
  const host = options.host ?? DEFAULT_METRICS_HOST;
  const server = createServer((req, res) => {
    answer(options.registry, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("metrics collection failed\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new MetricsServerError(`cannot listen on ${host}:${options.port ?? DEFAULT_METRICS_PORT}`, {
          cause: error,
        }),
      ),
    );
    server.listen(options.port ?? DEFAULT_METRICS_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    port,
    url: `http://${urlHost}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Prometheus keeps its connection alive between scrapes; do not wait for it to go.
        server.closeAllConnections();
      }),
  };
}

async function answer(
  registry: MetricsSource,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path !== "/metrics") {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found: metrics are at /metrics\n");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" });
    res.end("method not allowed\n");
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, {
    "Content-Type": registry.contentType,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
