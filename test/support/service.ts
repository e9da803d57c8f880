import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { parseConfig } from "../../src/config/load.js";
import type { AppConfigInput } from "../../src/config/schema.js";
import { type RunningService, startService } from "../../src/server/start.js";
import { type HttpsRequest, type HttpsResponse, httpsRequest } from "./https-client.js";
import { issuerKeys } from "./issuer-keys.js";

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
/** The 1.0.0 binary model kept beside it: the legacy-folder path (thresholds rule). */
export const LEGACY_BINARY_MODEL_DIR = resolve(repoRoot, "models/sentiment-boe-binary");

/** Starts the real service over HTTPS on a free port, in a temporary working directory. */
export async function startTestService(
  config: AppConfigInput = {},
  options: { logLines?: string[] } = {},
): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), "sentiment-api-"));
  const keys = issuerKeys(dir);
  await keys.keyFor("test-client");
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
    token: (issuer = "test-client", overrides = {}) => keys.token(issuer, overrides),
    request: (path, options = {}) => httpsRequest(`${url}${path}`, { ...options, ca }),
  };
}
