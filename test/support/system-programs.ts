// The programs the tests run that npm does not install, the Debian package of each, and how
// `npm test` (scripts/test.ts) gets the missing ones before any test runs.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

export interface SystemProgram {
  /** The command the tests run. */
  command: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  /** What the tests need it for. */
  neededFor: string;
}

const ALWAYS_NEEDED: readonly SystemProgram[] = [
  { command: "chromium", debianPackage: "chromium", neededFor: "the docs page in a real browser" },
  { command: "promtool", debianPackage: "prometheus", neededFor: "the metrics format check" },
  {
    command: "kubectl",
    debianPackage: "kubernetes-client",
    neededFor: "rendering the Kubernetes manifests",
  },
  { command: "redis-server", debianPackage: "redis-server", neededFor: "throwaway Redis servers" },
];

const POSTGRES: SystemProgram = {
  command: "initdb",
  debianPackage: "postgresql",
  neededFor: "a throwaway PostgreSQL cluster",
};

/** Debian installs PostgreSQL's server programs per major version, off PATH. */
const DEBIAN_POSTGRES_ROOT = "/usr/lib/postgresql";

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable `command` on PATH, or undefined. */
export function findOnPath(command: string, path = process.env.PATH ?? ""): string | undefined {
  return path
    .split(delimiter)
    .filter((directory) => directory !== "")
    .map((directory) => join(directory, command))
    .find(isExecutableFile);
}

/**
 * The directory holding PostgreSQL's `initdb` and `postgres`: from PATH, else Debian's newest
 * /usr/lib/postgresql/<major>/bin.
 */
export function postgresBinDirectory(): string | undefined {
  const onPath = findOnPath("initdb");
  if (onPath !== undefined) return dirname(onPath);
  let majors: string[];
  try {
    majors = readdirSync(DEBIAN_POSTGRES_ROOT).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  return majors
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => join(DEBIAN_POSTGRES_ROOT, major, "bin"))
    .find(
      (bin) => isExecutableFile(join(bin, "initdb")) && isExecutableFile(join(bin, "postgres")),
    );
}

/** The programs the test run needs: PostgreSQL's only when it provisions its own cluster. */
export function neededPrograms(env: NodeJS.ProcessEnv = process.env): SystemProgram[] {
  return env.TEST_DATABASE_URL ? [...ALWAYS_NEEDED] : [...ALWAYS_NEEDED, POSTGRES];
}

export function isInstalled(program: SystemProgram): boolean {
  return program === POSTGRES
    ? postgresBinDirectory() !== undefined
    : findOnPath(program.command) !== undefined;
}

/** One line naming what is missing and the command that installs it. */
export function missingProgramsMessage(missing: readonly SystemProgram[], asRoot: boolean): string {
  const names = missing.map((program) => `${program.command} (${program.neededFor})`).join(", ");
  const packages = missing.map((program) => program.debianPackage).join(" ");
  const sudo = asRoot ? "" : "sudo ";
  return `npm test needs ${names}: install with \`${sudo}apt-get install -y --no-install-recommends ${packages}\`, then run npm test again`;
}

/** Runs apt-get quietly; shows the end of what it said only when it fails. */
function aptGet(args: readonly string[], log: (line: string) => void): boolean {
  const run = spawnSync("apt-get", args, {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (run.status === 0) return true;
  const said = `${run.stdout ?? ""}${run.stderr ?? ""}`.trim().split("\n").slice(-10).join("\n");
  log(`apt-get ${args[0]} failed: ${run.error?.message ?? said}`);
  return false;
}

/**
 * Makes sure every needed program is there: as root, installs the missing ones with apt-get
 * (printing one line of what it installs); otherwise, or when that fails, returns the one-line
 * message to stop with. Undefined means ready.
 */
export function ensureSystemPrograms(log: (line: string) => void): string | undefined {
  const asRoot = process.getuid?.() === 0;
  let missing = neededPrograms().filter((program) => !isInstalled(program));
  if (missing.length === 0) return undefined;
  if (asRoot) {
    const packages = missing.map((program) => program.debianPackage);
    log(`npm test: installing Debian packages the tests need: ${packages.join(" ")}`);
    if (
      aptGet(["update", "-qq"], log) &&
      aptGet(["install", "-y", "-qq", "--no-install-recommends", ...packages], log)
    ) {
      missing = missing.filter((program) => !isInstalled(program));
    }
  }
  return missing.length === 0 ? undefined : missingProgramsMessage(missing, asRoot);
}
