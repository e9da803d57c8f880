import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findOnPath, missingProgramsMessage, neededPrograms } from "./system-programs.js";

describe("the system programs npm test needs", () => {
  it("needs PostgreSQL's programs only when the run starts its own cluster", () => {
    const commands = (env: NodeJS.ProcessEnv) => neededPrograms(env).map((p) => p.command);
    expect(commands({})).toEqual(["chromium", "promtool", "kubectl", "redis-server", "initdb"]);
    expect(commands({ TEST_DATABASE_URL: "postgres://db/test" })).not.toContain("initdb");
  });

  it("names each missing program and the apt-get command for its package, in one line", () => {
    const missing = neededPrograms({}).filter((p) => ["promtool", "initdb"].includes(p.command));
    const message = missingProgramsMessage(missing, true);
    expect(message).not.toContain("\n");
    expect(message).toContain("promtool (the metrics format check)");
    expect(message).toContain("initdb (a throwaway PostgreSQL cluster)");
    expect(message).toContain("`apt-get install -y --no-install-recommends prometheus postgresql`");
  });

  it("tells a user who is not root to install with sudo", () => {
    const message = missingProgramsMessage(neededPrograms({}).slice(0, 1), false);
    expect(message).toContain("`sudo apt-get install -y --no-install-recommends chromium`");
  });

  it("says why apt-get could not install them", () => {
    const message = missingProgramsMessage(neededPrograms({}).slice(0, 1), true, "E: no network");
    expect(message).toContain("(apt-get failed: E: no network)");
    expect(message).not.toContain("\n");
  });
});

describe("findOnPath", () => {
  const directories: string[] = [];
  afterAll(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

  async function binDirectory(): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), "find-on-path-"));
    directories.push(directory);
    return directory;
  }

  it("finds the first executable file of that name on PATH", async () => {
    const [first, second] = [await binDirectory(), await binDirectory()];
    for (const directory of [first, second]) {
      await writeFile(join(directory, "tool"), "#!/bin/sh\n");
      await chmod(join(directory, "tool"), 0o755);
    }
    expect(findOnPath("tool", `${first}:${second}`)).toBe(join(first, "tool"));
  });

  it("passes over a file that is not executable and a directory of that name", async () => {
    const [plain, folder, real] = [
      await binDirectory(),
      await binDirectory(),
      await binDirectory(),
    ];
    await writeFile(join(plain, "tool"), "#!/bin/sh\n", { mode: 0o644 });
    await mkdir(join(folder, "tool"));
    await writeFile(join(real, "tool"), "#!/bin/sh\n", { mode: 0o755 });
    expect(findOnPath("tool", `${plain}:${folder}:${real}`)).toBe(join(real, "tool"));
    expect(findOnPath("tool", `${plain}:${folder}`)).toBeUndefined();
  });
});
