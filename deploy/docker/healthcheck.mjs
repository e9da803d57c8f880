// Container HEALTHCHECK: GET https://127.0.0.1:$PORT/healthz, exit 0 on 200 and 1 otherwise.
// Plain node (no curl in slim images, no build step needed).
import { request } from "node:https";

const port = Number(process.env.PORT || 8443);
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 4000);

const probe = request(
  {
    host: "127.0.0.1",
    port,
    path: "/healthz",
    method: "GET",
    timeout: timeoutMs,
    agent: false, // no keep-alive socket holding the process open
    // Loopback only, to this container's own server: its certificate names the public host (or
    // is self-signed in development), never 127.0.0.1. No other connection skips verification.
    rejectUnauthorized: false,
  },
  (response) => {
    response.resume();
    process.exitCode = response.statusCode === 200 ? 0 : 1;
  },
);
probe.on("timeout", () => probe.destroy(new Error(`no answer within ${timeoutMs} ms`)));
probe.on("error", (error) => {
  process.stderr.write(`healthcheck: ${error.message}\n`);
  process.exitCode = 1;
});
probe.end();
