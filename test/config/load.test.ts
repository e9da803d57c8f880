import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load.js";

const shipped = () => loadConfig({}, process.cwd());

describe("loadConfig", () => {
  it("reads the shipped config/api.json with the documented defaults", () => {
    const config = shipped();
    expect(config.server.port).toBe(8443);
    expect(config.server.host).toBe("0.0.0.0");
    expect(config.asap.publicKeyRepository).toBe("keys/public");
    expect(config.asap.audience).toBe("sentiment-api");
    expect(config.asap.leewaySeconds).toBe(30);
    expect(config.asap.replayProtection).toBe(true);
    expect(config.asap.replayMaxEntries).toBe(1_000_000);
    expect(config.asap.tokenCacheMaxEntries).toBe(10_000);
    expect(config.tls.certFile).toBeNull();
  });

  it("lists every setting of every section in the shipped config/api.json, at its default", () => {
    const file = JSON.parse(readFileSync(join(process.cwd(), "config/api.json"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    const defaults = parseConfig({}, {}) as unknown as Record<string, Record<string, unknown>>;
    for (const [section, fields] of Object.entries(defaults)) {
      expect(Object.keys(file[section] ?? {}).sort(), section).toEqual(Object.keys(fields).sort());
    }
    expect(shipped()).toEqual(defaults);
  });

  it("lets environment variables override every mapped field", () => {
    const config = loadConfig(
      {
        HOST: "127.0.0.1",
        PORT: "9443",
        ASAP_VALID_AUDIENCE: "other-api",
        ASAP_VALID_ISSUERS: " billing , search ,",
        ASAP_VALID_LEEWAY: "5",
        ASAP_REPLAY_PROTECTION: "false",
        ASAP_REPLAY_MAX_ENTRIES: "250000",
        ASAP_TOKEN_CACHE_MAX_ENTRIES: "0",
        ASAP_PUBLICKEY_REPOSITORY: "https://keys.example/ keys/public",
        LOG_LEVEL: "warn",
      },
      process.cwd(),
    );
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 9443 });
    expect(config.asap).toMatchObject({
      audience: "other-api",
      validIssuers: ["billing", "search"],
      leewaySeconds: 5,
      replayProtection: false,
      replayMaxEntries: 250_000,
      tokenCacheMaxEntries: 0,
      publicKeyRepository: "https://keys.example/ keys/public",
    });
    expect(config.log.level).toBe("warn");
  });

  it("labels with the model rule by default; LABEL_RULE=thresholds brings back the notebook rule", () => {
    expect(shipped().model.labelRule).toBe("model");
    expect(parseConfig({}, {}).model.labelRule).toBe("model");
    const config = loadConfig(
      { LABEL_RULE: "thresholds", MODEL_NEGATIVE_BELOW: "0.3", MODEL_POSITIVE_ABOVE: "0.8" },
      process.cwd(),
    );
    expect(config.model).toMatchObject({
      labelRule: "thresholds",
      negativeBelow: 0.3,
      positiveAbove: 0.8,
    });
  });

  it("ignores empty environment variables", () => {
    expect(loadConfig({ PORT: "", TLS_CERT_FILE: "" }, process.cwd()).server.port).toBe(8443);
  });

  it("reads another file named by CONFIG_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-"));
    writeFileSync(join(dir, "custom.json"), JSON.stringify({ server: { port: 10443 } }));
    const config = loadConfig({ CONFIG_FILE: "custom.json" }, dir);
    expect(config.server.port).toBe(10443);
    expect(config.asap.audience).toBe("sentiment-api");
  });
});

describe("invalid settings", () => {
  const problemsOf = (raw: unknown, env: Record<string, string> = {}): string[] => {
    try {
      parseConfig(raw, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).issues];
    }
    throw new Error("expected a ConfigError");
  };

  it("names the field and the variable of a bad port", () => {
    const [problem] = problemsOf({}, { PORT: "http" });
    expect(problem).toMatch(/^server\.port \(from PORT\): .*whole number/);
  });

  it("names LABEL_RULE when it is neither model nor thresholds", () => {
    const [problem] = problemsOf({}, { LABEL_RULE: "argmax" });
    expect(problem).toMatch(
      /^model\.labelRule \(from LABEL_RULE\): must be "model" or "thresholds"/,
    );
  });

  it("refuses a replay store with no room", () => {
    expect(() => loadConfig({ ASAP_REPLAY_MAX_ENTRIES: "0" }, process.cwd())).toThrow(
      /ASAP_REPLAY_MAX_ENTRIES/,
    );
  });

  it("refuses a negative token cache size, naming the variable", () => {
    expect(problemsOf({}, { ASAP_TOKEN_CACHE_MAX_ENTRIES: "-1" })[0]).toMatch(
      /^asap\.tokenCacheMaxEntries \(from ASAP_TOKEN_CACHE_MAX_ENTRIES\): must be at least 0/,
    );
  });

  it("refuses a port out of range", () => {
    expect(problemsOf({ server: { port: 70000 } })[0]).toMatch(/^server\.port: /);
  });

  it("refuses an unknown field instead of ignoring a typo", () => {
    expect(problemsOf({ asap: { audiance: "x" } }).join()).toMatch(/audiance/);
  });

  it("refuses a certificate without its key", () => {
    expect(problemsOf({}, { TLS_CERT_FILE: "cert.pem" }).join()).toMatch(/certFile and keyFile/);
  });

  it("refuses a boolean that is not one", () => {
    expect(problemsOf({}, { ASAP_REPLAY_PROTECTION: "maybe" })[0]).toMatch(
      /^asap\.replayProtection \(from ASAP_REPLAY_PROTECTION\)/,
    );
  });

  it("refuses a config file that is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-"));
    writeFileSync(join(dir, "api.json"), "port = 1");
    expect(() => loadConfig({ CONFIG_FILE: "api.json" }, dir)).toThrow(/not valid JSON/);
  });
});
