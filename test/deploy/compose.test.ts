import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { withComposeDefaults } from "./support/compose-interpolation.js";
import { configuredPort, REPO_ROOT, repoPath } from "./support/repository.js";
import { readYamlDocuments } from "./support/yaml-documents.js";

const run = promisify(execFile);

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  healthcheck?: { test: string[] };
  ports?: { target: number; published: string; host_ip: string; protocol: string }[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  stop_grace_period?: string;
}

const [compose] = readYamlDocuments(repoPath("docker-compose.yml")) as [
  { services: Record<string, ComposeService> },
];
const api = compose.services.api as ComposeService;

/** The api's environment with every `${VAR:-default}` resolved to its default. */
function apiEnvironment(name: string): string {
  const value = api.environment?.[name];
  if (value === undefined) throw new Error(`api sets no ${name}`);
  return withComposeDefaults(String(value));
}

interface LintReport {
  messages: { rule: string; type: string; message: string; line: number }[];
}

/** Runs the dclint CLI (Compose Specification JSON schema + lint rules) on one file. */
async function lintCompose(file: string): Promise<{ exitCode: number; problems: string[] }> {
  const cli = repoPath("node_modules/dclint/bin/dclint.cjs");
  const args = [cli, "-f", "json", "--max-warnings", "0", "--color", "false", file];
  const result = await run(process.execPath, args, { cwd: REPO_ROOT, timeout: 60_000 }).then(
    ({ stdout }) => ({ exitCode: 0, stdout }),
    (error: { code?: number; stdout?: string }) => ({
      exitCode: error.code ?? -1,
      stdout: error.stdout ?? "",
    }),
  );
  const reports = JSON.parse(result.stdout) as LintReport[];
  const problems = reports.flatMap(({ messages }) =>
    messages.map((m) => `${m.type} ${m.rule} (line ${m.line}): ${m.message}`),
  );
  return { exitCode: result.exitCode, problems };
}

describe("docker-compose.yml", () => {
  const scratch = mkdtempSync(join(tmpdir(), "compose-test-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test("parses as one YAML document without errors or duplicate keys", () => {
    expect(readYamlDocuments(repoPath("docker-compose.yml"))).toHaveLength(1);
  });

  test("matches the Compose Specification schema and passes dclint with no warnings", async () => {
    const { exitCode, problems } = await lintCompose(repoPath("docker-compose.yml"));
    expect(problems).toEqual([]);
    expect(exitCode).toBe(0);
  });

  test("the compose check rejects a dependency condition the specification does not define", async () => {
    const broken = join(scratch, "docker-compose.yml");
    writeFileSync(
      broken,
      "services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: healthy\n  b:\n    image: y\n",
    );
    const { exitCode, problems } = await lintCompose(broken);
    expect(exitCode).not.toBe(0);
    expect(problems.join("\n")).toMatch(/invalid-schema/);
  });

  test("the api is built from the repository's Dockerfile", () => {
    expect(api.build).toEqual({ context: ".", dockerfile: "Dockerfile" });
  });

  test("the api starts only after Redis and PostgreSQL report healthy", () => {
    expect(api.depends_on).toEqual({
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
    });
    expect(compose.services.redis?.healthcheck?.test.join(" ")).toMatch(/redis-cli ping/);
    expect(compose.services.postgres?.healthcheck?.test.join(" ")).toMatch(/pg_isready/);
  });

  test("the replay store and the prediction log point at the compose Redis and PostgreSQL", () => {
    const replayStore = new URL(apiEnvironment("ASAP_REPLAY_STORE"));
    expect(replayStore.protocol).toBe("redis:");
    expect(replayStore.hostname).toBe("redis");

    const database = new URL(apiEnvironment("DATABASE_URL"));
    const postgresEnv = compose.services.postgres?.environment ?? {};
    expect(database.protocol).toBe("postgres:");
    expect(database.hostname).toBe("postgres");
    expect(database.username).toBe(postgresEnv.POSTGRES_USER);
    expect(decodeURIComponent(database.password)).toBe(
      withComposeDefaults(postgresEnv.POSTGRES_PASSWORD ?? ""),
    );
    expect(database.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
  });

  test("TLS files and the public-key repository are read-only mounts the environment points into", () => {
    const mountHolding = (path: string) =>
      api.volumes?.find((volume) => path.startsWith(`${volume.target}/`) || path === volume.target);
    for (const name of ["TLS_CERT_FILE", "TLS_KEY_FILE", "ASAP_PUBLICKEY_REPOSITORY"]) {
      const mount = mountHolding(apiEnvironment(name));
      expect(mount, name).toBeDefined();
      expect(mount?.read_only, name).toBe(true);
    }
  });

  test("the api serves HTTPS on the configured port, published on loopback only", () => {
    expect(Number(apiEnvironment("PORT"))).toBe(configuredPort());
    expect(api.ports).toEqual([
      {
        target: configuredPort(),
        published: String(configuredPort()),
        host_ip: "127.0.0.1",
        protocol: "tcp",
      },
    ]);
  });

  test("the api is hardened like the Kubernetes pod and waits out the drain on stop", () => {
    expect(api.read_only).toBe(true);
    expect(api.cap_drop).toEqual(["ALL"]);
    expect(api.security_opt).toContain("no-new-privileges:true");
    expect(api.tmpfs).toEqual(expect.arrayContaining(["/tmp", "/app/var"]));
    const graceSeconds = Number(/^(\d+)s$/.exec(api.stop_grace_period ?? "")?.[1]);
    expect(graceSeconds).toBeGreaterThan(Number(apiEnvironment("SHUTDOWN_TIMEOUT_MS")) / 1000);
  });
});
