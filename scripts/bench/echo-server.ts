/**
 * The transport limit: an HTTPS echo on the service's own stack (Hono, @hono/node-server over
 * node:https via listenHttps, the request-id middleware, the same TLS certificate) with no auth
 * and no model. Run as a child process so it never shares an event loop with the load generator.
 *
 *   ECHO_TLS_DIR=<dir with localhost.crt/.key> PORT=<port> node --import tsx scripts/bench/echo-server.ts
 *
 * Prints one JSON line `{"port": N}` on stdout once it listens; SIGTERM stops it.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../src/http/env.js";
import { requestId } from "../../src/http/middleware/request-id.js";
import { listenHttps } from "../../src/server/https-server.js";
import { loadTlsCredentials } from "../../src/server/tls.js";

const tlsDir = process.env.ECHO_TLS_DIR;
if (!tlsDir) {
  process.stderr.write("echo-server: ECHO_TLS_DIR is required\n");
  process.exit(1);
}
const tls = await loadTlsCredentials({ certFile: null, keyFile: null, selfSignedDir: tlsDir });
const app = new Hono<AppEnv>();
app.use("*", requestId());
app.post("/echo", async (c) => c.json(await c.req.json()));
const listening = await listenHttps(app, tls, "127.0.0.1", Number(process.env.PORT ?? 0));
process.stdout.write(`${JSON.stringify({ port: listening.port })}\n`);
process.once("SIGTERM", () => {
  listening.close(2000).then(() => process.exit(0));
});
