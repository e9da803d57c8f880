import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import selfsigned from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../support/service.js";

async function makeCa(name: string) {
  const ca = await selfsigned.generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true },
    ],
  });
  return { cert: ca.cert, key: ca.private };
}

async function makeClientCertificate(ca: { cert: string; key: string }) {
  const client = await selfsigned.generate([{ name: "commonName", value: "billing-service" }], {
    keyType: "ec",
    algorithm: "sha256",
    ca,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "extKeyUsage", clientAuth: true },
    ],
  });
  return { cert: client.cert, key: client.private };
}

describe("mutual TLS (TLS_CLIENT_CA_FILE)", () => {
  let svc: TestService;
  let trusted: { cert: string; key: string };
  let foreign: { cert: string; key: string };

  beforeAll(async () => {
    const ca = await makeCa("callers CA");
    trusted = await makeClientCertificate(ca);
    foreign = await makeClientCertificate(await makeCa("someone else's CA"));
    const caFile = join(mkdtempSync(join(tmpdir(), "client-ca-")), "ca.pem");
    writeFileSync(caFile, ca.cert);
    svc = await startTestService({ tls: { clientCaFile: caFile } });
  });
  afterAll(() => svc?.service.stop());

  const healthz = (client?: { cert: string; key: string }) =>
    new Promise<string>((resolve) => {
      const req = request(
        `${svc.url}/healthz`,
        { ca: svc.ca, agent: false, ...(client ?? {}) },
        (res) => {
          res.resume();
          resolve(String(res.statusCode));
        },
      );
      req.on("error", (error) => resolve(`error: ${error.message}`));
      req.end();
    });

  it("serves a client presenting a certificate from the configured CA", async () => {
    expect(await healthz(trusted)).toBe("200");
  });

  it("refuses a client without a certificate at the handshake", async () => {
    expect(await healthz()).toMatch(/^error: /);
  });

  it("refuses a client whose certificate comes from another CA", async () => {
    expect(await healthz(foreign)).toMatch(/^error: /);
  });
});
