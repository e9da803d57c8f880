import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CpuProfile, summariseCpuProfile } from "../../scripts/bench/cpu-profile.js";
import { quantile } from "../../scripts/bench/load-run.js";
import { createMinimalCheck } from "../../scripts/bench/minimal-asap-check.js";
import { type ModelComparison, modelRatio } from "../../scripts/bench/model-comparison.js";
import { createBenchIssuer, TokenPool } from "../../scripts/bench/token-minter.js";
import { TokenSupply } from "../../scripts/bench/token-supply.js";
import { FileKeyRepository } from "../../src/asap/keys/file-repository.js";
import { MemoryReplayGuard } from "../../src/asap/replay/memory-replay-guard.js";
import { verifyAsapToken } from "../../src/asap/verify.js";

const run = promisify(execFile);

/** The cells of the markdown table row whose first cell starts with `name`. */
function rowCells(markdown: string, name: string): string[] {
  const line = markdown.split("\n").find((row) => row.startsWith(`| ${name}`));
  if (line === undefined) throw new Error(`no row "${name}" in:\n${markdown}`);
  return line
    .split("|")
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/**
 * Runs `scripts/bench.ts <args> --output <dir>/results.md` in a fresh temporary directory; returns
 * the directory (for afterAll), what it printed and what it wrote.
 */
async function runBench(
  args: readonly string[],
): Promise<{ dir: string; stdout: string; written: string }> {
  const dir = await mkdtemp(join(tmpdir(), "bench-test-"));
  const output = join(dir, "results.md");
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "scripts/bench.ts", ...args, "--output", output],
    { cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
  );
  return { dir, stdout, written: await readFile(output, "utf8") };
}

describe("npm run bench -- --quick", () => {
  let dir: string;
  let stdout: string;
  let written: string;

  beforeAll(async () => {
    // Starts an echo server and three services: slow on a loaded 2-core machine.
    ({ dir, stdout, written } = await runBench(["--quick"]));
  }, 310_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the report it writes to --output", () => {
    expect(stdout).toBe(written);
    expect(stdout).toMatch(/^# Benchmark results/);
  });

  it("has a row for every limit and every served scenario", () => {
    for (const batch of [1, 32, 64]) {
      const cells = rowCells(stdout, `model in-process, batch ${batch} `);
      expect(Number(cells[3])).toBeGreaterThan(0);
    }
    const served = [
      ["HTTPS echo, no auth", "64"],
      ["HTTPS echo + minimal correct ASAP check (RS256)", "64"],
      ["HTTPS echo + ASAP (RS256, replay on)", "64"],
      ["single text, defaults |", "64"],
      ["single text, reuse mode (64 tokens reused) [ASAP_REPLAY_PROTECTION=false]", "64"],
      ["single text |", "1"],
      ["single text |", "16"],
      ["single text |", "64"],
      ["single text |", "256"],
      ["batch of 64 texts", "8"],
      ["single text [BATCH_MAX_SIZE=1]", "64"],
      ["single text [LOG_LEVEL=warn]", "64"],
      ["batch of 64 texts [PREDICTION_LOG=false]", "8"],
      ["single text, ES256 tokens", "64"],
    ];
    const rows = stdout
      .split("\n")
      .filter((line) => /^\| (HTTPS echo|single text|batch of)/.test(line));
    expect(rows).toHaveLength(served.length);
    for (const [name, concurrency] of served) {
      const row = rows.find(
        (line) => line.startsWith(`| ${name}`) && line.includes(`| ${concurrency} |`),
      );
      expect(row, `${name} at ${concurrency}`).toBeDefined();
    }
  });

  it("served every request with a 2xx and no connection errors", () => {
    const rows = stdout
      .split("\n")
      .filter((line) => /^\| (HTTPS echo|single text|batch of)/.test(line));
    for (const row of rows) {
      const cells = row
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim());
      expect(Number(cells[2]), row).toBeGreaterThan(0); // req/s
      expect(cells[7], row).toBe("0"); // errors
      expect(cells[8], row).toBe("0"); // non-2xx
      expect(Number(cells[9]), row).toBeGreaterThan(0); // server CPU ms/req
      expect(Number(cells[10]), row).toBeGreaterThan(0); // load generator CPU ms/req
      expect(["wrk", "autocannon"], row).toContain(cells[12]); // load generator
    }
    expect(rowCells(stdout, "errors + non-2xx over all runs")).toEqual([
      "errors + non-2xx over all runs",
      "0",
      "0",
      "PASS",
    ]);
  });

  it("states a PASS or FAIL for each of the seven goals (issue 13's and the client's included)", () => {
    const goals = stdout.split("\n").filter((line) => /\| (PASS|FAIL) \|$/.test(line));
    expect(goals).toHaveLength(7);
    expect(stdout).toMatch(
      /\| service \/ minimal check: single text at c64, .* \| \d+\.\d\d \(\d+ \/ \d+ req\/s\) \| >= 0\.8 \| (PASS|FAIL) \|/,
    );
    expect(stdout).toMatch(
      /\| reuse mode \/ echo: single text at c64, .* \| \d+\.\d\d \(\d+ \/ \d+ req\/s\) \| >= 0\.5 \| (PASS|FAIL) \|/,
    );
  });

  it("names the load generator of the run and its commands", () => {
    const generator = /^- Load generator: (wrk|autocannon) /m.exec(stdout)?.[1];
    expect(generator).toBeDefined();
    if (generator === "wrk") expect(stdout).toMatch(/Commands: `wrk -t1 -c64 -d\d+s /);
  });

  it("has the client package's rows, at its defaults and in the batch row's shape", () => {
    const client = stdout.slice(stdout.indexOf("## Client package"));
    const rows = client
      .split("\n")
      .filter((line) => line.startsWith("| client scoreMany, 10000 texts"));
    expect(
      rows.map((row) =>
        row
          .split("|")
          .slice(2, 4)
          .map((cell) => cell.trim()),
      ),
    ).toEqual([
      ["512", "4"],
      ["64", "8"],
    ]);
    for (const row of rows) expect(Number(row.split("|")[5])).toBeGreaterThan(0); // texts/s
    expect(client).toMatch(
      /\| client scoreMany texts\/s \(defaults\) \/ batch-of-64 texts\/s \| \d+\.\d\d \(\d+ \/ \d+\) \| >= 0\.9 \| (PASS|FAIL) \|/,
    );
  });

  it("reports the share of CPU spent verifying tokens and the profile's top functions", () => {
    for (const alg of ["RS256", "ES256"]) {
      expect(stdout).toMatch(
        new RegExp(`Token verification: \\d+ µs CPU per ${alg} token .* = \\*\\*\\d+\\.\\d%\\*\\*`),
      );
    }
    const fromProfile = stdout.slice(stdout.indexOf("## Profile"));
    // Up to the next section (the client package's), if any.
    const nextSection = fromProfile.indexOf("\n## ");
    const profile = nextSection === -1 ? fromProfile : fromProfile.slice(0, nextSection);
    const topRows = profile
      .slice(profile.indexOf("Top 10 functions"))
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| function"));
    expect(topRows.length).toBeGreaterThan(0);
    expect(topRows.length).toBeLessThanOrEqual(10);
  });

  it("splits the server's CPU per request by thread, from /proc", () => {
    const line = stdout.split("\n").find((text) => text.startsWith("- CPU per request by thread"));
    const perThread = [
      ...(line ?? "").matchAll(
        /(single text|batch of 64 texts) \(c\d+\): HTTP thread (\d+\.\d+) ms/g,
      ),
    ];
    expect(perThread.map((match) => match[1])).toEqual(["single text", "batch of 64 texts"]);
    for (const match of perThread) expect(Number(match[2])).toBeGreaterThan(0);
  });

  it("states the anchor comparison's ratios and each row's CPU per request", () => {
    expect(stdout).toMatch(
      /Anchor comparison \(1 interleaved round\(s\).*: service \/ minimal check \*\*\d+\.\d\dx\*\*, service \/ echo \d+\.\d\dx, reuse mode \/ echo \*\*\d+\.\d\dx\*\*/,
    );
    expect(stdout).toMatch(
      /Server CPU per request \(mean of the rounds\): echo \d+\.\d{3} ms, minimal check \d+\.\d{3} ms, .* the service at its defaults \d+\.\d{3} ms/,
    );
  });
});

describe("npm run bench -- --compare-model (quick)", () => {
  let dir: string;
  let stdout: string;
  let written: string;

  beforeAll(async () => {
    ({ dir, stdout, written } = await runBench([
      "--quick",
      "--compare-model",
      "models/sentiment-boe-binary",
      "--rounds",
      "2",
    ]));
  }, 320_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("measures both models' single and batch rows in every round, without failures", () => {
    expect(written).toBe(stdout);
    expect(stdout).toContain("B = sentiment-boe@1.0.0 (`models/sentiment-boe-binary`)");
    const rows = stdout.split("\n").filter((line) => /^\| [12] \| /.test(line));
    expect(rows).toHaveLength(8); // 2 rounds x 2 rows x 2 models
    for (const row of rows) {
      const cells = row.split("|").map((cell) => cell.trim());
      expect(Number(cells[5])).toBeGreaterThan(0); // texts/s
      expect(cells[7]).toBe("0"); // errors + non-2xx
    }
    expect(stdout).toMatch(/- single text, c64: A \/ B = \*\*\d+\.\d\dx\*\*/);
    expect(stdout).toMatch(
      /- batch of 64 texts: A \/ B = \*\*\d+\.\d\dx\*\* .*slowest \/ fastest round \d\.\d\d/,
    );
  });
});

describe("bench model comparison ratios", () => {
  const run = (textsPerSecond: number) =>
    ({ load: { textsPerSecond } }) as ModelComparison["rounds"][number]["current"]["single"];
  const round = (a: number, b: number) => ({
    current: { single: run(a), batch: run(a * 10) },
    other: { single: run(b), batch: run(b * 5) },
  });
  const comparison: ModelComparison = {
    current: { dir: "models/a", model: "a@2" },
    other: { dir: "models/b", model: "b@1" },
    rounds: [round(100, 200), round(300, 200)],
  };

  it("sums the rounds for the ratio and keeps each round's own", () => {
    expect(modelRatio(comparison, "single")).toEqual({
      ratio: 1,
      perRound: [0.5, 1.5],
      currentSpread: 100 / 300,
    });
    expect(modelRatio(comparison, "batch").ratio).toBe(2);
  });
});

describe("bench token minter", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-minter-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(["RS256", "ES256"] as const)(
    "mints %s tokens the service's verifier accepts exactly once",
    async (alg) => {
      const issuer = await createBenchIssuer(join(dir, alg), { alg });
      const options = {
        keyRepository: new FileKeyRepository(issuer.publicKeyRepository),
        replayGuard: new MemoryReplayGuard(),
        audience: "sentiment-api",
      };
      const token = issuer.mint(60);
      const claims = await verifyAsapToken(token, options);
      expect(claims.alg).toBe(alg);
      expect(claims.kid).toBe(issuer.kid);
      await expect(verifyAsapToken(token, options)).rejects.toMatchObject({
        code: "token_replayed",
      });
    },
  );

  it("fills the pool in worker threads with distinct valid tokens, then mints on the spot", async () => {
    const issuer = await createBenchIssuer(join(dir, "pool"));
    const options = {
      keyRepository: new FileKeyRepository(issuer.publicKeyRepository),
      replayGuard: new MemoryReplayGuard(),
      audience: "sentiment-api",
    };
    const pool = new TokenPool(issuer, 60);
    await pool.fill(5);
    expect(pool.remaining).toBe(5);
    const tokens = Array.from({ length: 7 }, () => pool.next());
    expect(new Set(tokens).size).toBe(7);
    expect(pool.liveMinted).toBe(2);
    for (const token of tokens) {
      await expect(verifyAsapToken(token, options)).resolves.toMatchObject({ iss: issuer.issuer });
    }
  });
});

describe("bench minimal ASAP check (the anchor)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-minimal-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts a fresh token once and refuses what a correct check must refuse", async () => {
    const issuer = await createBenchIssuer(join(dir, "keys"));
    const check = createMinimalCheck({
      keyDir: issuer.publicKeyRepository,
      audience: "sentiment-api",
    });
    const token = issuer.mint(60);
    expect(check(token)).toBe(issuer.issuer);
    expect(check(token)).toBeUndefined(); // replayed jti
    const [header, payload, signature] = issuer.mint(60).split(".") as [string, string, string];
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const decoded = (segment: string) =>
      JSON.parse(Buffer.from(segment, "base64url").toString()) as Record<string, unknown>;
    const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "BA" : "AA"}`;
    for (const forged of [
      `${header}.${payload}.${flipped}`,
      `${header}.${encode({ ...decoded(payload), aud: "other" })}.${signature}`,
      `${encode({ ...decoded(header), alg: "none" })}.${payload}.`,
      `${encode({ ...decoded(header), kid: `${issuer.issuer}/../x` })}.${payload}.${signature}`,
      `${header}.${encode({ ...decoded(payload), iss: "someone-else" })}.${signature}`,
      "not-a-token",
    ]) {
      expect(check(forged), forged.slice(0, 40)).toBeUndefined();
    }
  });
});

describe("bench token supply (wrk's token files)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-supply-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives each replay scope a file at most once and mints only when none fits", async () => {
    const issuer = await createBenchIssuer(join(dir, "keys"));
    const supply = new TokenSupply(issuer, dir, 600);
    const first = await supply.take("server-a", 5, 60);
    expect(await supply.take("server-b", 5, 60)).toEqual(first);
    const second = await supply.take("server-a", 3, 60);
    expect(second.file).not.toBe(first.file);
    const bigger = await supply.take("server-b", 10, 60);
    expect(bigger.count).toBe(10);
    expect(supply.minted).toBe(18);
    const lines = (await readFile(first.file, "utf8")).trim().split("\n");
    expect(new Set(lines).size).toBe(5);
    const options = {
      keyRepository: new FileKeyRepository(issuer.publicKeyRepository),
      replayGuard: new MemoryReplayGuard(),
      audience: "sentiment-api",
    };
    for (const token of lines) {
      await expect(verifyAsapToken(token, options)).resolves.toMatchObject({ iss: issuer.issuer });
    }
  });
});

describe("bench CPU profile summary", () => {
  // (root) -> handler (src/http) -> jose verify -> native "run"; handler -> native writev; idle.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 6] },
      {
        id: 2,
        callFrame: {
          functionName: "handler",
          url: "file:///app/src/http/routes/x.ts",
          lineNumber: 0,
        },
        children: [3, 5],
      },
      {
        id: 3,
        callFrame: {
          functionName: "compactVerify",
          url: "file:///app/node_modules/jose/dist/x.js",
          lineNumber: 9,
        },
        children: [4],
      },
      { id: 4, callFrame: { functionName: "run", url: "", lineNumber: -1 } },
      { id: 5, callFrame: { functionName: "writev", url: "", lineNumber: -1 } },
      { id: 6, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
    ],
    startTime: 1_000,
    endTime: 1_000 + 6 * 100,
    samples: [4, 4, 5, 2, 6, 4],
    timeDeltas: [100, 100, 100, 100, 100, 100],
  };

  it("counts native frames called from jose as token verification", () => {
    const summary = summariseCpuProfile(profile);
    const verification = summary.categories.find((entry) =>
      entry.category.startsWith("token verification"),
    );
    expect(verification?.selfMs).toBeCloseTo(0.2);
    expect(summary.functions[0]).toMatchObject({ name: "run", location: "" });
  });

  it("counts a native frame called from app code as that code's category", () => {
    const summary = summariseCpuProfile(profile);
    const writev = summary.functions.find((fn) => fn.name === "writev");
    expect(writev?.category).toBe("app routes + middleware (src/http)");
  });

  it("does not let middleware that awaits next() claim what the rest of the pipeline runs", () => {
    const pipeline: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2] },
        {
          id: 2,
          callFrame: {
            functionName: "rateLimit",
            url: "file:///app/src/http/middleware/rate-limit.ts",
            lineNumber: 0,
          },
          children: [3],
        },
        {
          id: 3,
          callFrame: {
            functionName: "_Request",
            url: "node:internal/deps/undici/undici",
            lineNumber: 0,
          },
        },
      ],
      startTime: 0,
      endTime: 300,
      samples: [2, 3, 3],
      timeDeltas: [0, 100, 100],
    };
    const summary = summariseCpuProfile(pipeline);
    const request = summary.functions.find((fn) => fn.name === "_Request");
    expect(request?.category).toBe("WHATWG Request/Response/streams/URL");
    expect(summary.functions.find((fn) => fn.name === "rateLimit")?.category).toBe("rate limiting");
  });

  it("leaves idle time out of the busy time", () => {
    const summary = summariseCpuProfile(profile);
    expect(summary.idleMs).toBeCloseTo(0.1);
    expect(summary.busyMs).toBeCloseTo(0.4);
  });

  it("keeps only the samples inside the time window", () => {
    const summary = summariseCpuProfile(profile, { startMicros: 1_250, endMicros: 1_450 });
    expect(summary.busyMs).toBeCloseTo(0.2);
    expect(summary.functions.map((fn) => fn.name).sort()).toEqual(["handler", "writev"]);
  });
});

describe("bench latency quantiles", () => {
  it("uses the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
