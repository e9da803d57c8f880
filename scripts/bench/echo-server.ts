/**
 * The transport limits: an HTTPS echo on the service's own stack (Hono, @hono/node-server over
 * node:https via listenHttps, the same TLS certificate) with no model. `POST /echo` has no auth;
 * `POST /min/echo` is behind the minimal correct ASAP check (minimal-asap-check.ts: the anchor of
 * issue 13); `POST /auth/echo` is behind the service's own ASAP verification (its request-id and
 * auth middleware, key repository and replay store, configured like the service from the
 * environment). Run as a child process so it never shares an event loop with the load generator.
 *
 *   ECHO_TLS_DIR=<dir with localhost.crt/.key> PORT=<port> [ASAP_...] node --import tsx scripts/bench/echo-server.ts
 *
 * Prints one JSON line `{"port": N}` on stdout once it listens; SIGTERM stops it.
 */
import { Hono } from "hono";
import { pino } from "pino";
import { createKeyRepository } from "../../src/asap/keys/create-key-repository.js";
import { loadConfig } from "../../src/config/load.js";
import type { AppEnv } from "../../src/http/env.js";
import { toApiError } from "../../src/http/errors.js";
import { asapAuth } from "../../src/http/middleware/asap-auth.js";
import { requestId } from "../../src/http/middleware/request-id.js";
import { createReplayGuard, createTokenVerifier } from "../../src/server/dependencies.js";
import { listenHttps } from "../../src/server/https-server.js";
import { loadTlsCredentials } from "../../src/server/tls.js";
import { minimalAsapAuth } from "./minimal-asap-check.js";

const tlsDir = process.env.ECHO_TLS_DIR;
if (!tlsDir) {
  process.stderr.write("echo-server: ECHO_TLS_DIR is required\n");
  process.exit(1);
}
const tls = await loadTlsCredentials({ certFile: null, keyFile: null, selfSignedDir: tlsDir });
const config = loadConfig(process.env, process.cwd());
const verify = createTokenVerifier(
  config,
  createKeyRepository(config.asap.publicKeyRepository, { baseDir: process.cwd() }),
  createReplayGuard(config, pino({ level: "silent" })),
);

const app = new Hono<AppEnv>();
app.use("/auth/*", requestId());
app.use("/auth/*", asapAuth({ verify }));
app.use(
  "/min/*",
  minimalAsapAuth({ keyDir: config.asap.publicKeyRepository, audience: config.asap.audience }),
);
app.post("/echo", async (c) => c.json(await c.req.json()));
app.post("/min/echo", async (c) => c.json(await c.req.json()));
app.post("/auth/echo", async (c) => c.json(await c.req.json()));
app.onError((error, c) => {
  const apiError = toApiError(error);
  return c.json({ error: apiError.code, message: apiError.message }, apiError.status);
});
const listening = await listenHttps(app, tls, "127.0.0.1", Number(process.env.PORT ?? 0));
process.stdout.write(`${JSON.stringify({ port: listening.port })}\n`);
process.once("SIGTERM", () => {
  listening.close(2000).then(() => process.exit(0));
});
