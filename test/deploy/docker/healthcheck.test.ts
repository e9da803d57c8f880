import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import selfsigned from "selfsigned";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { repoPath } from "../support/repository.js";

const SCRIPT = repoPath("deploy/docker/healthcheck.mjs");

let credentials: { cert: string; key: string };
const servers: Server[] = [];

beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: "commonName", value: "sentiment.example" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
  });
  credentials = { cert: pems.cert, key: pems.private };
});

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** HTTPS server on 127.0.0.1 answering `status`; records the paths it was asked for. */
async function startServer(status: number): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer(credentials, (request, response) => {
    paths.push(request.url ?? "");
    response.writeHead(status, { "content-type": "application/json" }).end("{}");
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, paths };
}

/** Runs the HEALTHCHECK script against `port`; resolves with its exit code. */
function runHealthcheck(port: number, extraEnv: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT],
      { env: { PATH: process.env.PATH, PORT: String(port), ...extraEnv }, timeout: 20_000 },
      (error) => resolve(error ? ((error as { code?: number }).code ?? -1) : 0),
    );
  });
}

describe("deploy/docker/healthcheck.mjs", () => {
  test("exits 0 when GET /healthz over HTTPS answers 200", async () => {
    const server = await startServer(200);
    expect(await runHealthcheck(server.port)).toBe(0);
    expect(server.paths).toEqual(["/healthz"]);
  });

  test("exits 1 when /healthz answers 503", async () => {
    const server = await startServer(503);
    expect(await runHealthcheck(server.port)).toBe(1);
  });

  test("exits 1 when the server accepts the request but never answers", async () => {
    const server = createServer(credentials, () => {
      // Never responds: the probe's own timeout must end it.
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    expect(await runHealthcheck(port, { HEALTHCHECK_TIMEOUT_MS: "300" })).toBe(1);
  });

  test("exits 1 when nothing listens on the port", async () => {
    const server = await startServer(200);
    const { port } = server;
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await runHealthcheck(port)).toBe(1);
  });
});
