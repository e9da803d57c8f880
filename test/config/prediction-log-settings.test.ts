import { once } from "node:events";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { StartupError, startService } from "../../src/server/start.js";
import { spawnService } from "../support/service-process.js";

const DAY_MS = 86_400_000;

/** The problems loadConfig reports for these environment variables over the shipped file. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, process.cwd());
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error("expected a ConfigError");
}

describe("prediction-log settings", () => {
  it("ships a 1 GiB cap, 30 days of retention and every request logged", () => {
    expect(loadConfig({}, process.cwd()).predictions).toMatchObject({
      maxBytes: 2 ** 30,
      retention: 30 * DAY_MS,
      sampleRate: 1,
    });
  });

  it("reads PREDICTION_LOG_MAX_BYTES, PREDICTION_LOG_RETENTION and PREDICTION_LOG_SAMPLE_RATE", () => {
    const env = {
      PREDICTION_LOG_MAX_BYTES: "10000000",
      PREDICTION_LOG_RETENTION: "12h",
      PREDICTION_LOG_SAMPLE_RATE: "0.25",
    };
    expect(loadConfig(env, process.cwd()).predictions).toMatchObject({
      maxBytes: 10_000_000,
      retention: 12 * 3_600_000,
      sampleRate: 0.25,
    });
    const off = { PREDICTION_LOG_MAX_BYTES: "off", PREDICTION_LOG_RETENTION: "0" };
    expect(loadConfig(off, process.cwd()).predictions).toMatchObject({
      maxBytes: null,
      retention: null,
    });
    expect(
      loadConfig({ PREDICTION_LOG_MAX_BYTES: "2GiB" }, process.cwd()).predictions.maxBytes,
    ).toBe(2 * 2 ** 30);
  });

  it("refuses a cap smaller than one write batch, naming the setting", () => {
    const [problem] = problemsOf({ PREDICTION_LOG_MAX_BYTES: "100000" });
    expect(problem).toMatch(
      /^predictions\.maxBytes \(from PREDICTION_LOG_MAX_BYTES\): 100000 bytes is smaller than two write batches/,
    );
    // Shorter texts make smaller batches: the same cap then fits.
    expect(() =>
      loadConfig({ PREDICTION_LOG_MAX_BYTES: "1000000", MAX_TEXT_LENGTH: "280" }, process.cwd()),
    ).not.toThrow();
    // PostgreSQL has no file to cap: the setting does not apply there.
    expect(() =>
      loadConfig(
        { PREDICTION_LOG_MAX_BYTES: "100000", DATABASE_URL: "postgres://db/predictions" },
        process.cwd(),
      ),
    ).not.toThrow();
  });

  it("refuses a malformed size or duration, naming the setting", () => {
    expect(problemsOf({ PREDICTION_LOG_MAX_BYTES: "lots" })[0]).toMatch(
      /^predictions\.maxBytes \(from PREDICTION_LOG_MAX_BYTES\): must be a size in bytes/,
    );
    for (const retention of ["30 days", "1y", "-2d", "d"]) {
      expect(problemsOf({ PREDICTION_LOG_RETENTION: retention })[0], retention).toMatch(
        /^predictions\.retention \(from PREDICTION_LOG_RETENTION\): must be a duration such as 30d/,
      );
    }
  });

  it("refuses a sample rate outside 0..1, naming the setting", () => {
    for (const rate of ["1.5", "-0.1", "half"]) {
      expect(problemsOf({ PREDICTION_LOG_SAMPLE_RATE: rate })[0], rate).toMatch(
        /^predictions\.sampleRate \(from PREDICTION_LOG_SAMPLE_RATE\): must be/,
      );
    }
  });

  it("stops the real process at start with the setting named", async () => {
    const child = spawnService(mkdtempSync(join(tmpdir(), "sentiment-api-")), {
      PREDICTION_LOG_RETENTION: "a month",
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toMatch(/predictions\.retention \(from PREDICTION_LOG_RETENTION\)/);
  });
});

describe("a prediction-log directory that is not writable stops the start", () => {
  async function startWith(sqlitePath: string, cwd: string) {
    const config = loadConfig(
      { HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "0", DATABASE_URL: `sqlite:${sqlitePath}` },
      process.cwd(),
    );
    return startService(config, pino({ level: "silent" }), { cwd });
  }

  it("refuses a directory that cannot be created (a file is in the way)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sentiment-api-"));
    writeFileSync(join(dir, "var"), "not a directory");
    const started = startWith(join(dir, "var", "p.sqlite"), dir);
    await expect(started).rejects.toBeInstanceOf(StartupError);
    await expect(started).rejects.toThrow(
      /DATABASE_URL.*cannot write in the prediction log's directory/,
    );
  });

  it("refuses a directory the process may not write in", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sentiment-api-"));
    // root ignores file modes; sysfs refuses new files even to root.
    const readOnly =
      process.getuid?.() === 0
        ? "/sys/kernel"
        : (() => {
            const path = join(dir, "read-only");
            mkdirSync(path);
            chmodSync(path, 0o555);
            return path;
          })();
    const started = startWith(join(readOnly, "p.sqlite"), dir);
    await expect(started).rejects.toBeInstanceOf(StartupError);
    await expect(started).rejects.toThrow(/cannot write in the prediction log's directory/);
  });
});
