import { existsSync, readdirSync } from "node:fs";
import { posix, sep } from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, test } from "vitest";
import {
  type DockerStage,
  envAssignments,
  execForm,
  parseDockerfile,
  splitFlags,
} from "./support/dockerfile-instructions.js";
import { configuredPort, readRepoFile, repoPath } from "./support/repository.js";

const dockerfileText = readRepoFile("Dockerfile");
const dockerfile = parseDockerfile(dockerfileText);
const finalStage = dockerfile.stages.at(-1) as DockerStage;
const packageJson = JSON.parse(readRepoFile("package.json")) as { scripts: Record<string, string> };

/** Repository files (relative paths) outside `dir` that TypeScript files under `dir` import. */
function relativeImportsOutside(dir: string): string[] {
  const files = readdirSync(repoPath(dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => posix.join(dir, file.split(sep).join("/")));
  const imported = new Set<string>();
  for (const file of files) {
    for (const [, specifier] of readRepoFile(file).matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
      const target = posix.join(posix.dirname(file), specifier ?? "").replace(/\.js$/, ".ts");
      if (!target.startsWith(`${dir}/`)) imported.add(target);
    }
  }
  return [...imported].sort();
}

function instructions(stage: DockerStage, keyword: string) {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** The stage that a `COPY --from=<stage>` in the final stage takes `path` from. */
function stageCopiedFrom(destination: string): DockerStage | undefined {
  const copy = instructions(finalStage, "COPY")
    .map(({ args }) => splitFlags(args))
    .find(({ rest }) => rest.split(/\s+/).at(-1)?.replace(/^\.\//, "") === destination);
  const from = copy?.flags.get("from");
  return dockerfile.stages.find((stage) => stage.name === from);
}

/** Absolute image path of a relative destination, following the final stage's WORKDIR. */
function imagePath(relative: string): string {
  const workdir = instructions(finalStage, "WORKDIR").at(-1)?.args ?? "/";
  return posix.resolve(workdir, relative);
}

describe("Dockerfile", () => {
  test("passes the Dockerfile validator with no diagnostics", () => {
    const diagnostics = validate(dockerfileText).map(
      (d) => `line ${d.range.start.line + 1}: ${d.message}`,
    );
    expect(diagnostics).toEqual([]);
  });

  test("the validator reports a broken Dockerfile", () => {
    expect(
      validate("FROM node:20-bookworm-slim\nHEALTHCHECK --interval=soon CMD true\n"),
    ).not.toEqual([]);
  });

  test("every stage builds on a Debian-based Node 20 image", () => {
    const names = new Set(dockerfile.stages.map((stage) => stage.name));
    for (const { image } of dockerfile.stages) {
      if (names.has(image)) continue;
      expect(image).toMatch(
        /^(docker\.io\/(library\/)?)?node:20(\.\d+)*-(bookworm|trixie)(-slim)?$/,
      );
    }
  });

  test("has a build stage and a separate runtime stage", () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(instructions(finalStage, "COPY").some(({ args }) => args.includes("--from="))).toBe(
      true,
    );
  });

  test("the image starts the same entry point as `npm start`", () => {
    const start = packageJson.scripts.start?.trim().split(/\s+/);
    const entrypoint = instructions(finalStage, "ENTRYPOINT").at(-1);
    const cmd = instructions(finalStage, "CMD").at(-1);
    const command = [
      ...(entrypoint ? (execForm(entrypoint.args) ?? []) : []),
      ...(cmd ? (execForm(cmd.args) ?? []) : []),
    ];
    expect(command).toEqual(start);
  });

  test("the compiled entry point comes from a stage that runs the build script `npm start` runs first", () => {
    const prestart = packageJson.scripts.prestart ?? "";
    expect(prestart).toMatch(/npm run( -s)? build/);
    const [, entryFile] = packageJson.scripts.start?.trim().split(/\s+/) ?? [];
    const topDirectory = entryFile?.split("/")[0] ?? "";
    const source = stageCopiedFrom(topDirectory);
    expect(source, `COPY --from=... ${topDirectory}`).toBeDefined();
    const runs = instructions(source as DockerStage, "RUN").map(({ args }) => args);
    expect(runs.some((run) => /npm run( -s)? build\b/.test(run))).toBe(true);
  });

  test("the build stage gets every source outside src/ that the service's code imports", () => {
    const buildStage = stageCopiedFrom("dist") as DockerStage;
    const copiedSources = instructions(buildStage, "COPY")
      .map(({ args }) => splitFlags(args))
      .filter(({ flags }) => !flags.has("from"))
      .flatMap(({ rest }) => rest.split(/\s+/).slice(0, -1))
      .map((source) => posix.normalize(source).replace(/\/$/, ""));
    const imported = relativeImportsOutside("src");
    expect(imported.length).toBeGreaterThan(0); // the client package's signer
    const missing = imported.filter(
      (file) => !copiedSources.some((source) => file === source || file.startsWith(`${source}/`)),
    );
    expect(missing).toEqual([]);
  });

  test("the final image gets production dependencies only", () => {
    const source = stageCopiedFrom("node_modules");
    expect(source, "COPY --from=... node_modules").toBeDefined();
    const runs = instructions(source as DockerStage, "RUN").map(({ args }) => args);
    const installIndex = runs.findIndex((run) => /\bnpm ci\b/.test(run));
    const omitIndex = runs.findLastIndex((run) => /\bnpm (ci|prune)\b[^&;]*--omit=dev/.test(run));
    expect(installIndex).toBeGreaterThanOrEqual(0);
    expect(omitIndex).toBeGreaterThanOrEqual(installIndex);
    const finalRuns = instructions(finalStage, "RUN").map(({ args }) => args);
    expect(finalRuns.filter((run) => /\bnpm (ci|install|i)\b/.test(run))).toEqual([]);
  });

  test("the final stage runs as a numeric user that is not root", () => {
    // Numeric, so Kubernetes can enforce runAsNonRoot without resolving a user name.
    const user = instructions(finalStage, "USER").at(-1)?.args.split(":")[0];
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
  });

  test("the HEALTHCHECK runs the repository's probe script, copied into the image", () => {
    const [healthcheck, ...more] = instructions(finalStage, "HEALTHCHECK");
    expect(more).toEqual([]);
    const { rest } = splitFlags(healthcheck?.args ?? "");
    expect(rest.startsWith("CMD ")).toBe(true);
    const command = execForm(rest.slice(4)) ?? [];
    expect(command[0]).toBe("node");
    const script = command[1] ?? "";
    expect(existsSync(repoPath(script)), script).toBe(true);
    const copied = instructions(finalStage, "COPY").some(({ args }) => {
      const words = splitFlags(args).rest.split(/\s+/);
      return words[0] === script && imagePath(words.at(-1) ?? "") === imagePath(script);
    });
    expect(copied).toBe(true);
  });

  test("the models directory is baked into the image, MODEL_DIR names a folder in it", () => {
    const copy = instructions(finalStage, "COPY").find(
      ({ args }) => splitFlags(args).rest.split(/\s+/)[0] === "models",
    );
    expect(copy).toBeDefined();
    const destination =
      splitFlags(copy?.args ?? "")
        .rest.split(/\s+/)
        .at(-1) ?? "";
    const modelDir = envAssignments(finalStage).get("MODEL_DIR") ?? "";
    expect(posix.dirname(modelDir)).toBe(imagePath(destination));
  });

  test("every file copied from the build context exists in the repository", () => {
    const sources = dockerfile.stages.flatMap((stage) =>
      instructions(stage, "COPY")
        .map(({ args }) => splitFlags(args))
        .filter(({ flags }) => !flags.has("from"))
        .flatMap(({ rest }) => rest.split(/\s+/).slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => !existsSync(repoPath(source)))).toEqual([]);
  });

  test("copies no key material and sets no secret in the image", () => {
    const copied = dockerfile.stages.flatMap((stage) =>
      [...instructions(stage, "COPY"), ...instructions(stage, "ADD")].flatMap(({ args }) =>
        splitFlags(args).rest.split(/\s+/).slice(0, -1),
      ),
    );
    expect(
      copied.filter((source) => /^(\.\/)?keys\b|\.(pem|key|crt)$|^\.env/.test(source)),
    ).toEqual([]);
    const settings = dockerfile.stages.flatMap((stage) => [...envAssignments(stage).keys()]);
    expect(
      settings.filter((name) => /PASSWORD|SECRET|TOKEN|PRIVATE|DATABASE_URL/.test(name)),
    ).toEqual([]);
  });

  test("runs in production mode and exposes the configured HTTPS port", () => {
    const env = envAssignments(finalStage);
    expect(env.get("NODE_ENV")).toBe("production");
    expect(Number(env.get("PORT"))).toBe(configuredPort());
    const exposed = instructions(finalStage, "EXPOSE").flatMap(({ args }) => args.split(/\s+/));
    expect(exposed).toContain(String(configuredPort()));
  });

  test("the build fails when the native TensorFlow backend did not install", () => {
    const runs = instructions(finalStage, "RUN").map(({ args }) => args);
    expect(runs.some((run) => run.includes("require('@tensorflow/tfjs-node')"))).toBe(true);
  });
});
