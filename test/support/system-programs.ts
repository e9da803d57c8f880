// The programs the tests run that npm does not install, the Debian package of each, and how
// `npm test` (scripts/test.ts) gets the missing ones before any test runs.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync, realpathSync, statSync } from "node:fs";
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
 * The directory holding PostgreSQL's `initdb` and `postgres`: where the `initdb` on PATH really
 * lives, else Debian's newest /usr/lib/postgresql/<major>/bin.
 */
export function postgresBinDirectory(): string | undefined {
  const onPath = findOnPath("initdb");
  let majors: string[] = [];
  try {
    majors = readdirSync(DEBIAN_POSTGRES_ROOT).filter((name) => /^\d+$/.test(name));
  } catch {
    // No Debian PostgreSQL.
  }
  return [
    ...(onPath === undefined ? [] : [dirname(realpathSync(onPath))]),
    ...majors
      .sort((a, b) => Number(b) - Number(a))
      .map((major) => join(DEBIAN_POSTGRES_ROOT, major, "bin")),
  ].find((bin) => isExecutableFile(join(bin, "initdb")) && isExecutableFile(join(bin, "postgres")));
}

/** The programs the test run needs: PostgreSQL's only when it provisions its own cluster. */
export function neededPrograms(env: NodeJS.ProcessEnv = process.env): SystemProgram[] {
  return env.TEST_DATABASE_URL ? [...ALWAYS_NEEDED] : [...ALWAYS_NEEDED, POSTGRES];
}

function isInstalled(program: SystemProgram): boolean {
  return program === POSTGRES
    ? postgresBinDirectory() !== undefined
    : findOnPath(program.command) !== undefined;
}

/** One line naming what is missing and the command that installs it. */
export function missingProgramsMessage(
  missing: readonly SystemProgram[],
  asRoot: boolean,
  aptFailure?: string,
): string {
  const names = missing.map((program) => `${program.command} (${program.neededFor})`).join(", ");
  const packages = missing.map((program) => program.debianPackage).join(" ");
  const failed = aptFailure === undefined ? "" : ` (apt-get failed: ${aptFailure})`;
  const sudo = asRoot ? "" : "sudo ";
  return `npm test needs ${names}${failed}: install with \`${sudo}apt-get install -y --no-install-recommends ${packages}\`, then run npm test again`;
}

/** Runs apt-get quietly: undefined when it worked, else the last line it said. */
function aptGet(args: readonly string[]): string | undefined {
  const run = spawnSync("apt-get", args, {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (run.status === 0) return undefined;
  const said = `${run.stdout ?? ""}\n${run.stderr ?? ""}`.trim().split("\n").at(-1);
  return run.error?.message ?? said ?? `exit status ${run.status}`;
}

/**
 * Makes sure every program the run needs is there. As root it installs the missing ones with
 * apt-get, noting in one line what it installs. Returns the one line to stop with when something
 * is still missing, undefined when the tests can run.
 */
export function ensureSystemPrograms(note: (line: string) => void): string | undefined {
  const missingNow = () => neededPrograms().filter((program) => !isInstalled(program));
  const asRoot = process.getuid?.() === 0;
  let missing = missingNow();
  if (missing.length === 0) return undefined;
  let aptFailure: string | undefined;
  if (asRoot) {
    const packages = missing.map((program) => program.debianPackage);
    note(`npm test: installing Debian packages the tests need: ${packages.join(" ")}`);
    aptFailure =
      aptGet(["update", "-qq"]) ??
      aptGet(["install", "-y", "-qq", "--no-install-recommends", ...packages]);
    missing = missingNow();
    if (missing.length === 0) return undefined;
  }
  return missingProgramsMessage(missing, asRoot, aptFailure);
}
