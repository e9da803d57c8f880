/**
 * The package as another service gets it: `npm pack`, installed from the tarball into a scratch
 * project outside the repository, then used from plain JavaScript and type-checked from TypeScript.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyPair } from "../../../src/asap/keygen.js";
import { startTestService, type TestService } from "../../support/service.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../../..");
const packageDir = join(repoRoot, "clients/typescript");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** The first ```js block of a markdown file that calls createSentimentClient. */
function exampleIn(markdownFile: string): string {
  const markdown = readFileSync(join(repoRoot, markdownFile), "utf8");
  const block = [...markdown.matchAll(/```js\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? "")
    .find((code) => code.includes("createSentimentClient"));
  if (block === undefined) throw new Error(`no createSentimentClient example in ${markdownFile}`);
  return block;
}

describe("the packed client, installed outside the repository", () => {
  let scratch: string;
  let packedFiles: string[];
  let svc: TestService;
  let dataUri: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "client-package-"));
    const { stdout } = await run(npm, ["pack", "--json", "--pack-destination", scratch], {
      cwd: packageDir,
      maxBuffer: 4 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    packedFiles = packed.files.map((file) => file.path);
    const project = join(scratch, "caller");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "caller", private: true, type: "module" }),
    );
    // --offline: the package must install without anything from a registry.
    await run(
      npm,
      ["install", "--offline", "--no-audit", "--no-fund", join(scratch, packed.filename)],
      { cwd: project },
    );
    svc = await startTestService();
    ({ dataUri } = await createKeyPair({
      issuer: "billing-service",
      name: "key1",
      privateDir: join(svc.dir, "keys/private"),
      publicDir: join(svc.dir, "keys/public"),
    }));
  }, 180_000);
  afterAll(async () => {
    await svc?.service.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("packs the compiled JavaScript, its type declarations and the README, nothing else", () => {
    expect(packedFiles).toContain("dist/index.js");
    expect(packedFiles).toContain("dist/index.d.ts");
    expect(packedFiles).toContain("README.md");
    expect(
      packedFiles.filter(
        (file) =>
          !/^dist\/.+\.(js|d\.ts)$/.test(file) && !["README.md", "package.json"].includes(file),
      ),
    ).toEqual([]);
  });

  it("installs with no dependency of its own", () => {
    const project = join(scratch, "caller");
    const installed = JSON.parse(
      readFileSync(join(project, "node_modules/@sentiment-api/client/package.json"), "utf8"),
    ) as { dependencies?: object; peerDependencies?: object };
    expect([installed.dependencies, installed.peerDependencies]).toEqual([undefined, undefined]);
    expect(readdirSync(join(project, "node_modules"))).toEqual([
      ".package-lock.json",
      "@sentiment-api",
    ]);
  });

  it("lets tools resolve its package.json through its exports", async () => {
    const { stdout } = await run(
      process.execPath,
      ["-p", 'require("@sentiment-api/client/package.json").name'],
      { cwd: join(scratch, "caller") },
    );
    expect(stdout.trim()).toBe("@sentiment-api/client");
  });

  it("runs the README's five-line example against the service", async () => {
    const example = exampleIn("clients/typescript/README.md");
    expect(example.trim().split("\n")).toHaveLength(5);
    // The service the tests started listens on a port of its own, not 8443.
    const code = example.replace("https://localhost:8443", svc.url);
    const project = join(scratch, "caller");
    mkdirSync(join(project, "keys/tls"), { recursive: true });
    writeFileSync(join(project, "keys/tls/localhost.crt"), svc.ca);
    writeFileSync(join(project, "example.mjs"), code);
    const { stdout, stderr } = await run(process.execPath, ["example.mjs"], {
      cwd: project,
      env: { PATH: process.env.PATH, ASAP_PRIVATE_KEY: dataUri },
      timeout: 30_000,
    });
    // What the README says it prints: its fields, label, model and version, and the score's digits.
    const readme = readFileSync(join(repoRoot, "clients/typescript/README.md"), "utf8");
    const said = (/It prints `([^`]+)`/.exec(readme)?.[1] ?? "").replace(/\s+/g, " ");
    const printed = stdout.replace(/\s+/g, " ");
    const fields = [...said.matchAll(/(\w+): /g)].map((match) => match[1]);
    const pinned = [...said.matchAll(/(label|name|version): '[^']+'|score: \d\.\d+/g)].map(
      (match) => match[0],
    );
    expect(stderr).toBe("");
    expect(fields).toContain("probabilities");
    expect(pinned).toHaveLength(4);
    for (const field of fields) expect(printed).toContain(`${field}: `);
    for (const value of pinned) expect(printed).toContain(value);
  });

  it("the main README shows the same example", () => {
    expect(exampleIn("README.md")).toBe(exampleIn("clients/typescript/README.md"));
  });

  it("gives a TypeScript caller the client's types", async () => {
    const project = join(scratch, "caller");
    writeFileSync(
      join(project, "caller.ts"),
      `import { createSentimentClient, SentimentApiError, type Prediction } from "@sentiment-api/client";
const client = createSentimentClient({ baseUrl: "https://sentiment.internal", issuer: "billing-service" });
const results: Prediction[] = await client.scoreMany(["a", "b"]);
const first: "NEGATIVE" | "NEUTRAL" | "POSITIVE" | undefined = results[0]?.label;
const neutral: number | undefined = results[0]?.probabilities?.neutral;
try { await client.score("x"); } catch (error) { if (error instanceof SentimentApiError) console.log(error.status, error.requestId); }
// @ts-expect-error score takes a string
await client.score(42);
// @ts-expect-error baseUrl is required
createSentimentClient({ issuer: "billing-service" });
console.log(first, neutral);
`,
    );
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    const result = await run(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--types",
        "node",
        "--typeRoots",
        join(repoRoot, "node_modules/@types"),
        "caller.ts",
      ],
      { cwd: project },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
    expect(result.stdout).toBe("");
    expect("failed" in result).toBe(false);
  });
});
