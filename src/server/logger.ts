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
  const options = {
    level: settings.level,
    base: { service: "sentiment-api", pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: "pino-pretty",
        options: { translateTime: "SYS:HH:MM:ss.l", ignore: "service" },
      },
    });
  }
  // Asynchronous writes (coalesced while one is in flight): a synchronous write per access-log line
  // costs the request path more than the logging itself (npm run bench); flushLogs() drains them.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}

/** Writes out buffered log lines; call before process.exit. */
export function flushLogs(logger: Logger): void {
  try {
    logger.flush();
    (logger as unknown as { [pino.symbols.streamSym]?: { flushSync?: () => void } })[
      pino.symbols.streamSym
    ]?.flushSync?.();
  } catch {
    // A transport (pretty) flushes on its own.
  }
}
