import { describe, expect, test } from "vitest";
import { parseDockerfile, splitFlags } from "./support/dockerfile-instructions.js";
import { isExcludedFromContext, parseDockerignore } from "./support/dockerignore-rules.js";
import { readRepoFile } from "./support/repository.js";

const rules = parseDockerignore(readRepoFile(".dockerignore"));

describe(".dockerignore", () => {
  test("keeps private keys, TLS material, local state and .env out of the build context", () => {
    const secrets = [
      "keys/private/dev/default.pem",
      "keys/tls/localhost.key",
      "keys/tls/localhost.crt",
      "keys/public/dev/default.pem",
      "var/predictions.sqlite",
      ".env",
      ".env.production",
      "config/server.key",
      "models/notes/client.pem",
    ];
    expect(secrets.filter((path) => !isExcludedFromContext(rules, path))).toEqual([]);
  });

  test("keeps node_modules, build output, git data and test output out of the build context", () => {
    const clutter = [
      "node_modules/hono/package.json",
      "dist/src/main.js",
      "clients/typescript/node_modules/typescript/package.json",
      "clients/typescript/dist/index.js",
      ".git/HEAD",
      "coverage/index.html",
    ];
    expect(clutter.filter((path) => !isExcludedFromContext(rules, path))).toEqual([]);
  });

  test("keeps everything the Dockerfile copies from the build context", () => {
    const { stages } = parseDockerfile(readRepoFile("Dockerfile"));
    const sources = stages.flatMap((stage) =>
      stage.instructions
        .filter(({ keyword }) => keyword === "COPY" || keyword === "ADD")
        .map(({ args }) => splitFlags(args))
        .filter(({ flags }) => !flags.has("from"))
        .flatMap(({ rest }) => rest.split(/\s+/).slice(0, -1)),
    );
    const samples = [...sources, "src/main.ts", "config/api.json", "models/example/model.json"];
    expect(samples.filter((path) => isExcludedFromContext(rules, path))).toEqual([]);
  });

  test("the matcher applies the last matching rule, negations and parent directories", () => {
    const sample = parseDockerignore("deploy/\n!deploy/docker/check.mjs\n**/*.pem\n");
    expect(isExcludedFromContext(sample, "deploy/kubernetes/service.yaml")).toBe(true);
    expect(isExcludedFromContext(sample, "deploy/docker/check.mjs")).toBe(false);
    expect(isExcludedFromContext(sample, "a/b/c.pem")).toBe(true);
    expect(isExcludedFromContext(sample, "src/pem.ts")).toBe(false);
  });
});
