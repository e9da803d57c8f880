import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { createTestTls } from "../../support/key-server.js";

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The client's port: requests on one kept-alive connection share it. */
  readonly remotePort: number | undefined;
}

/** How the server answers one request (the body has been read). */
export type Reply = (response: ServerResponse, request: IncomingMessage, body: string) => void;

export interface ScriptedServer {
  /** `https://localhost:<port>` */
  readonly url: string;
  /** The server's self-signed certificate, to pass as the client's `ca`. */
  readonly ca: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** A JSON answer. */
export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };

/** The service's error body shape. */
export const apiError = (
  status: number,
  error: string,
  headers: Record<string, string> = {},
): Reply =>
  json(status, { error, message: `scripted ${error}`, request_id: `req-${error}` }, headers);

/** A single-text answer as the service sends it. */
export const prediction = (score = 0.9): Reply =>
  json(200, {
    label: score > 0.7 ? "POSITIVE" : score < 0.4 ? "NEGATIVE" : "NEUTRAL",
    score,
    elapsed_time: 0.001,
    model: { name: "scripted", version: "1" },
  });

/** A batch answer with one prediction per text received, scored by the text's length. */
export const batchByLength: Reply = (response, _request, body) => {
  const { texts } = JSON.parse(body) as { texts: string[] };
  json(200, {
    results: texts.map((text) => ({ label: "NEUTRAL", score: text.length / 1000 })),
    elapsed_time: 0.001,
    model: { name: "scripted", version: "1" },
  })(response, _request, body);
};

/** Never answers (the client's deadline or abort must end the request). */
export const silence: Reply = () => {};

/**
 * A real HTTPS server on 127.0.0.1 that answers the n-th request with `script(n)` (0-based), for
 * exact sequences a real service cannot be made to produce on demand.
 */
export async function startScriptedServer(
  script: (index: number) => Reply,
): Promise<ScriptedServer> {
  const tls = await createTestTls();
  const requests: ReceivedRequest[] = [];
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const index = requests.length;
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body,
        remotePort: request.socket.remotePort,
      });
      script(index)(response, request, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    ca: tls.cert,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
