import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { z } from "zod";
import { type AppConfig, configSchema, ENVIRONMENT_OVERRIDES } from "./schema.js";

export const DEFAULT_CONFIG_FILE = "config/api.json";

/** A configuration that cannot be used; `issues` name each field and its problem. */
export class ConfigError extends Error {
  readonly code = "invalid_config";
  constructor(
    message: string,
    readonly issues: readonly string[],
  ) {
    super(`${message}:\n  - ${issues.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Reads the config file (CONFIG_FILE or config/api.json), applies environment overrides, validates. */
export function loadConfig(env: Environment = process.env, cwd = process.cwd()): AppConfig {
  const file = resolve(cwd, env.CONFIG_FILE || DEFAULT_CONFIG_FILE);
  return parseConfig(readConfigFile(file), env, file);
}

/** Validates a raw config object after applying environment overrides to it. */
export function parseConfig(raw: unknown, env: Environment, source = "configuration"): AppConfig {
  const merged = applyEnvironmentOverrides(raw, env);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      `Invalid configuration (${source} and environment)`,
      describeIssues(result.error, env),
    );
  }
  return result.data;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError("Cannot read the configuration file", [
      `${file}: ${(error as Error).message}`,
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError("The configuration file is not valid JSON", [
      `${file}: ${(error as Error).message}`,
    ]);
  }
}

/** Returns a copy of `raw` with every set (non-empty) override variable written at its path. */
export function applyEnvironmentOverrides(raw: unknown, env: Environment): unknown {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return raw;
  const merged: Record<string, unknown> = structuredClone(raw as Record<string, unknown>);
  for (const [variable, [section, field]] of Object.entries(ENVIRONMENT_OVERRIDES)) {
    const value = env[variable];
    if (value === undefined || value === "") continue;
    const current = merged[section];
    const target =
      typeof current === "object" && current !== null && !Array.isArray(current)
        ? (current as Record<string, unknown>)
        : {};
    target[field] = value;
    merged[section] = target;
  }
  return merged;
}

function describeIssues(error: z.ZodError, env: Environment): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.join(".");
    const variable = Object.entries(ENVIRONMENT_OVERRIDES).find(
      ([name, [section, field]]) => `${section}.${field}` === path && env[name],
    )?.[0];
    const origin = variable ? ` (from ${variable})` : "";
    return `${path || "(root)"}${origin}: ${issue.message}`;
  });
}
