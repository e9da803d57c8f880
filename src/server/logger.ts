import { type Logger, pino } from "pino";
import type { AppConfig } from "../config/schema.js";

/** Keys whose values must never reach a log line, wherever they appear in a logged object. */
const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "token",
  "*.token",
  "privateKey",
  "*.privateKey",
];

/**
 * JSON lines for machines; colourful lines for people at a terminal ("auto": pretty only on a
 * TTY outside production).
 */
export function createLogger(settings: AppConfig["log"], production: boolean): Logger {
  const pretty =
    settings.format === "pretty" ||
    (settings.format === "auto" && !production && process.stdout.isTTY === true);
  return pino({
    level: settings.level,
    base: { service: "sentiment-api", pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    ...(pretty
      ? {
          transport: {
            target: "pino-pretty",
            options: { translateTime: "SYS:HH:MM:ss.l", ignore: "service" },
          },
        }
      : {}),
  });
}
