import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { createKeyPair } from "../../src/asap/keygen.js";
import { signAsapToken } from "../../src/asap/sign.js";
import { parseConfig } from "../../src/config/load.js";
import type { AppConfigInput } from "../../src/config/schema.js";
import { type RunningService, startService } from "../../src/server/start.js";
import { type HttpsRequest, type HttpsResponse, httpsRequest } from "./https-client.js";

export interface TestService {
  readonly dir: string;
  readonly url: string;
  readonly ca: string;
  readonly service: RunningService;
  /** Signs a fresh token for `issuer` (key created on first use) with optional claim overrides. */
  token(
    issuer?: string,
    overrides?: { audience?: string | string[]; subject?: string },
  ): Promise<string>;
  request(path: string, options?: Omit<HttpsRequest, "ca">): Promise<HttpsResponse>;
}

const repoRoot = resolve(import.meta.dirname, "../..");

/** The model the repository ships (the config's default), as an absolute path. */
export const SHIPPED_MODEL_DIR = resolve(repoRoot, parseConfig({}, {}).model.dir);

/** Starts the real service over HTTPS on a free port, in a temporary working directory. */
export async function startTestService(
  config: AppConfigInput = {},
  options: { logLines?: string[] } = {},
): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), "sentiment-api-"));
  // One creation per issuer, even when tokens for a new issuer are asked for concurrently.
  const privateKeys = new Map<string, Promise<{ kid: string; pem: string }>>();
  const keyFor = (issuer: string) => {
    let key = privateKeys.get(issuer);
    if (!key) {
      key = createKeyPair({
        issuer,
        name: "test",
        alg: "ES256",
        privateDir: join(dir, "keys/private"),
        publicDir: join(dir, "keys/public"),
      }).then((created) => ({
        kid: created.kid,
        pem: readFileSync(created.privateKeyPath, "utf8"),
      }));
      privateKeys.set(issuer, key);
    }
    return key;
  };
  await keyFor("test-client");
  const parsed = parseConfig(
    {
      ...config,
      server: { host: "127.0.0.1", port: 0, ...config.server },
      model: { dir: SHIPPED_MODEL_DIR, ...config.model },
      inference: { workers: 1, ...config.inference },
      // Tests run in parallel: each service takes a free metrics port.
      metrics: { port: 0, ...config.metrics },
    },
    {},
  );
  const logger = options.logLines
    ? pino({ level: "info" }, { write: (line: string) => options.logLines?.push(line) })
    : pino({ level: "silent" });
  const service = await startService(parsed, logger, { cwd: dir });
  await service.modelReady;
  const ca = readFileSync(join(dir, "keys/tls/localhost.crt"), "utf8");
  const url = `https://localhost:${service.port}`;
  return {
    dir,
    url,
    ca,
    service,
    async token(issuer = "test-client", overrides = {}) {
      const key = await keyFor(issuer);
      return signAsapToken({
        privateKey: key.pem,
        kid: key.kid,
        issuer,
        audience: overrides.audience ?? "sentiment-api",
        ...(overrides.subject ? { subject: overrides.subject } : {}),
      });
    },
    request: (path, options = {}) => httpsRequest(`${url}${path}`, { ...options, ca }),
  };
}
