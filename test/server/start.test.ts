import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { StartupError, startService } from "../../src/server/start.js";
import { startTestService, type TestService } from "../support/service.js";

describe("the running service", () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ asap: { validIssuers: ["test-client", "other-client"] } });
  });
  afterAll(() => svc.service.stop());

  it("answers /healthz without authentication", async () => {
    const res = await svc.request("/healthz");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz without authentication", async () => {
    const res = await svc.request("/readyz");
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ status: "ready" });
  });

  it("gives every response an X-Request-Id, echoed in error bodies", async () => {
    const res = await svc.request("/nowhere");
    expect(res.status).toBe(404);
    const id = res.headers["x-request-id"];
    expect(typeof id).toBe("string");
    expect(res.json()).toEqual({
      error: "not_found",
      message: expect.any(String),
      request_id: id,
    });
  });

  it("keeps a safe caller-supplied request id and replaces an unsafe one", async () => {
    const kept = await svc.request("/healthz", { headers: { "X-Request-Id": "trace-123" } });
    expect(kept.headers["x-request-id"]).toBe("trace-123");
    const replaced = await svc.request("/healthz", { headers: { "X-Request-Id": "a b<script>" } });
    expect(replaced.headers["x-request-id"]).not.toBe("a b<script>");
  });

  it("refuses /v1 without a token with 401 and a bare Bearer challenge", async () => {
    const res = await svc.request("/v1/whoami");
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="sentiment-api"');
    expect(res.json()).toMatchObject({ error: "missing_token" });
  });

  it("refuses a broken token with an RFC 6750 invalid_token challenge", async () => {
    const res = await svc.request("/v1/whoami", { headers: { Authorization: "Bearer not.a.jwt" } });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(
      /^Bearer realm="sentiment-api", error="invalid_token", error_description="[^"]+"$/,
    );
    expect(res.json()).toMatchObject({ error: "malformed_token" });
  });

  it("returns the verified claims on /v1/whoami", async () => {
    const token = await svc.token("test-client", { subject: "user-7" });
    const res = await svc.request("/v1/whoami", { headers: { Authorization: `bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      iss: "test-client",
      sub: "user-7",
      aud: "sentiment-api",
      kid: "test-client/test",
    });
    expect(typeof body.jti).toBe("string");
    expect(body.exp as number).toBeGreaterThan(body.iat as number);
  });

  it("refuses the same token twice (replay)", async () => {
    const token = await svc.token();
    const first = await svc.request("/v1/whoami", {
      headers: { Authorization: `Bearer ${token}` },
    });
    const second = await svc.request("/v1/whoami", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(401);
    expect(second.json()).toMatchObject({ error: "token_replayed" });
  });

  it("answers 403 to an issuer outside ASAP_VALID_ISSUERS", async () => {
    const token = await svc.token("stranger");
    const res = await svc.request("/v1/whoami", { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: "issuer_not_allowed" });
  });

  it("refuses a token for another audience", async () => {
    const token = await svc.token("test-client", { audience: "billing-api" });
    const res = await svc.request("/v1/whoami", { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: "invalid_audience" });
  });

  it("refuses TLS 1.1 at the handshake", async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: "127.0.0.1",
        port: svc.service.port,
        servername: "localhost",
        ca: svc.ca,
        minVersion: "TLSv1",
        maxVersion: "TLSv1.1",
      });
      socket.once("secureConnect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (error) => resolve(error.message));
    });
    expect(outcome).not.toBe("connected");
  });
});

describe("first start in an empty directory", () => {
  it("creates a dev key pair and a reusable self-signed certificate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sentiment-api-"));
    const config = parseConfig(
      { server: { host: "127.0.0.1", port: 0 }, metrics: { port: 0 } },
      {},
    );
    const first = await startService(config, pino({ level: "silent" }), { cwd: dir });
    await first.stop();
    expect(existsSync(join(dir, "keys/public/dev/default"))).toBe(true);
    const privateKey = join(dir, "keys/private/dev/default.pem");
    expect(statSync(privateKey).mode & 0o777).toBe(0o600);
    const cert = readFileSync(join(dir, "keys/tls/localhost.crt"), "utf8");
    expect(statSync(join(dir, "keys/tls/localhost.key")).mode & 0o777).toBe(0o600);

    const second = await startService(config, pino({ level: "silent" }), { cwd: dir });
    await second.stop();
    expect(readFileSync(join(dir, "keys/tls/localhost.crt"), "utf8")).toBe(cert);
  });

  it("refuses to start in production on development defaults", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sentiment-api-"));
    const config = parseConfig(
      { server: { host: "127.0.0.1", port: 0 }, metrics: { port: 0 } },
      {},
    );
    const started = startService(config, pino({ level: "silent" }), { cwd: dir, production: true });
    await expect(started).rejects.toBeInstanceOf(StartupError);
    await expect(started).rejects.toThrow(/TLS_CERT_FILE/);
    expect(existsSync(join(dir, "keys/public/dev"))).toBe(false);
  });
});
