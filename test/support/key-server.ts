import { readFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { generate } from "selfsigned";

export interface TestTls {
  key: string;
  cert: string;
}

/** A self-signed certificate for 127.0.0.1/localhost; tests pass `cert` as the client's `ca`. */
export async function createTestTls(): Promise<TestTls> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: false },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/**
 * How the server answers: `serve` files, `error` with 503, `slow` (answers after `slowMs`),
 * `reset` (drops the connection without an answer).
 */
export type KeyServerBehaviour = "serve" | "error" | "slow" | "reset";

export interface KeyServerOptions {
  /** PEM files served at `/<kid>` from `<dir>/<kid>`. */
  dir: string;
  tls: TestTls;
  maxAgeSeconds?: number;
}

export interface KeyServer {
  /** Base URL with a trailing slash, e.g. `https://127.0.0.1:43210/`. */
  readonly url: string;
  behaviour: KeyServerBehaviour;
  /** `undefined` sends no Cache-Control header. */
  maxAgeSeconds: number | undefined;
  contentType: string;
  /** Bytes of padding appended to every served key (to test size limits). */
  paddingBytes: number;
  slowMs: number;
  /** Requests received for a path such as `/dev/key1`. */
  requestsFor(urlPath: string): number;
  totalRequests(): number;
  close(): Promise<void>;
}

/** A real HTTPS ASAP key server on 127.0.0.1 with an ephemeral port. */
export async function startKeyServer(options: KeyServerOptions): Promise<KeyServer> {
  const counts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let total = 0;

  const server = https.createServer(
    { key: options.tls.key, cert: options.tls.cert },
    (request, response) => {
      const urlPath = decodeURIComponent(new URL(request.url ?? "/", "https://x").pathname);
      counts.set(urlPath, (counts.get(urlPath) ?? 0) + 1);
      total += 1;

      const answer = async (behaviour: KeyServerBehaviour) => {
        if (behaviour === "reset") {
          request.socket.destroy();
          return;
        }
        if (behaviour === "error") {
          response.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
          return;
        }
        const file = path.join(options.dir, urlPath);
        if (!file.startsWith(path.join(options.dir, path.sep))) {
          response.writeHead(400).end();
          return;
        }
        let body: Buffer;
        try {
          body = await readFile(file);
        } catch {
          response.writeHead(404, { "content-type": "text/plain" }).end("not found");
          return;
        }
        if (state.paddingBytes > 0)
          body = Buffer.concat([body, Buffer.alloc(state.paddingBytes, 0x20)]);
        const headers: Record<string, string> = { "content-type": state.contentType };
        if (state.maxAgeSeconds !== undefined)
          headers["cache-control"] = `max-age=${state.maxAgeSeconds}`;
        response.writeHead(200, headers).end(body);
      };

      if (state.behaviour === "slow") {
        const timer = setTimeout(() => {
          timers.delete(timer);
          void answer("serve");
        }, state.slowMs);
        timers.add(timer);
      } else {
        void answer(state.behaviour);
      }
    },
  );

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const state: KeyServer = {
    url: `https://127.0.0.1:${port}/`,
    behaviour: "serve",
    maxAgeSeconds: options.maxAgeSeconds,
    contentType: "application/x-pem-file",
    paddingBytes: 0,
    slowMs: 10_000,
    requestsFor: (urlPath) => counts.get(urlPath) ?? 0,
    totalRequests: () => total,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
