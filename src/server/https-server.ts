import { randomUUID } from "node:crypto";
import { type IncomingMessage, maxHeaderSize, type ServerResponse } from "node:http";
import { createServer, type Server, type ServerOptions } from "node:https";
import type { Duplex } from "node:stream";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { type Logger, pino } from "pino";
import type { AppEnv } from "../http/env.js";
import {
  type ClientErrorAnswer,
  clientErrorParts,
  clientErrorResponse,
  describeClientError,
  MISSING_HOST,
} from "./client-errors.js";
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
  logger: Logger = pino({ level: "silent" }),
): Promise<ListeningServer> {
  return new Promise((resolvePromise, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        createServer: ((options: ServerOptions, listener: RequestListener) =>
          createServer(options, requireHost(listener, logger))) as typeof createServer,
        serverOptions: {
          // Checked by requireHost instead, which answers in JSON (Node sends a bare 400).
          requireHostHeader: false,
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
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) =>
      answerClientError(error, socket, logger),
    );
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

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** HTTP/1.1 demands a Host header (RFC 9112 §3.2); without it the adapter would invent one. */
function requireHost(listener: RequestListener, logger: Logger): RequestListener {
  return (req, res) => {
    if (req.headers.host !== undefined || req.httpVersion !== "1.1") return listener(req, res);
    const requestId = randomUUID();
    logClientError(logger, MISSING_HOST, requestId, "missing_host");
    const { headers, body } = clientErrorParts(MISSING_HOST, requestId);
    res.writeHead(MISSING_HOST.status, headers).end(body);
  };
}

/**
 * Answers an error of Node's HTTP parser or its timeouts in JSON, as the app answers, then closes
 * the socket. Like Node's own handler, it writes nothing once a response has started on the
 * socket, and a reset or unwritable socket is just destroyed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent === true) {
    logger.debug({ parser_code: error.code }, "client connection dropped");
    socket.destroy();
    return;
  }
  const answer = describeClientError(error, maxHeaderSize);
  const requestId = randomUUID();
  // Never the error itself: its rawPacket holds the request bytes, tokens included.
  logClientError(logger, answer, requestId, error.code);
  socket.once("finish", () => socket.destroy());
  socket.end(clientErrorResponse(answer, requestId));
}

function logClientError(
  logger: Logger,
  answer: ClientErrorAnswer,
  requestId: string,
  parserCode: string | undefined,
): void {
  const level = answer.status === 408 ? "info" : "warn";
  logger[level](
    { request_id: requestId, status: answer.status, error: answer.code, parser_code: parserCode },
    "client error",
  );
}
