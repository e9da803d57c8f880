import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import selfsigned from "selfsigned";

export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint of the certificate, colon-separated hex. */
  readonly fingerprint256: string;
  /** Whether this is the development self-signed certificate. */
  readonly selfSigned: boolean;
  /** True when the self-signed certificate was created by this call. */
  readonly created: boolean;
  /** PEM of the CA whose client certificates are required (mutual TLS), when configured. */
  readonly clientCa?: string;
}

export interface TlsSettings {
  readonly certFile: string | null;
  readonly keyFile: string | null;
  readonly selfSignedDir: string;
  readonly clientCaFile?: string | null;
}

/** Loads the configured certificate, or creates (once) and reuses a self-signed one for localhost. */
export async function loadTlsCredentials(settings: TlsSettings): Promise<TlsCredentials> {
  const clientCa = settings.clientCaFile
    ? { clientCa: readFileSync(settings.clientCaFile, "utf8") }
    : {};
  if (settings.certFile && settings.keyFile) {
    const cert = readFileSync(settings.certFile, "utf8");
    const key = readFileSync(settings.keyFile, "utf8");
    return {
      cert,
      key,
      fingerprint256: fingerprintOf(cert),
      selfSigned: false,
      created: false,
      ...clientCa,
    };
  }
  return { ...(await ensureSelfSignedCertificate(settings.selfSignedDir)), ...clientCa };
}

async function ensureSelfSignedCertificate(dir: string): Promise<TlsCredentials> {
  const certPath = join(dir, "localhost.crt");
  const keyPath = join(dir, "localhost.key");
  let created = false;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const notAfter = new Date();
    notAfter.setFullYear(notAfter.getFullYear() + 1);
    const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      notAfterDate: notAfter,
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
            { type: 7, ip: "::1" },
          ],
        },
      ],
    });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert, { mode: 0o644 });
    created = true;
  }
  const cert = readFileSync(certPath, "utf8");
  const key = readFileSync(keyPath, "utf8");
  return { cert, key, fingerprint256: fingerprintOf(cert), selfSigned: true, created };
}

function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
