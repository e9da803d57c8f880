import { createServer, type Server } from "node:https";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { AppEnv } from "../http/env.js";
import type { TlsCredentials } from "./tls.js";

export interface ListeningServer {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (up to `timeoutMs`), then closes the rest. */
  close(timeoutMs: number): Promise<void>;
}

/** Serves the app over HTTPS (TLS 1.2 minimum) and resolves once it listens. */
export function listenHttps(
  app: Hono<AppEnv>,
  tls: TlsCredentials,
  host: string,
  port: number,
): Promise<ListeningServer> {
  return new Promise((resolvePromise, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        createServer,
        serverOptions: {
          cert: tls.cert,
          key: tls.key,
          minVersion: "TLSv1.2",
          // Mutual TLS: without a certificate from this CA the handshake fails, before any HTTP.
          ...(tls.clientCa
            ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
            : {}),
        },
      },
      (info) => {
        resolvePromise({
          server: server as Server,
          port: info.port,
          close: (timeoutMs) => closeGracefully(server as Server, timeoutMs),
        });
      },
    ) as Server;
    server.once("error", reject);
    // Slow or idle clients must not hold sockets forever.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
  });
}

function closeGracefully(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolvePromise();
    });
    server.closeIdleConnections();
  });
}
