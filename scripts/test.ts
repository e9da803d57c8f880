/**
 * `npm test`: gets the system programs the tests need (apt-get as root, else one message naming
 * what is missing and stop), then runs vitest with the given arguments
 * (`npm test -- test/asap`). Vitest's global setup starts throwaway Redis and PostgreSQL servers.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureSystemPrograms } from "../test/support/system-programs.js";

const stopReason = ensureSystemPrograms((line) => console.error(line));
if (stopReason !== undefined) {
  console.error(stopReason);
  process.exit(1);
}

const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const child = spawn(process.execPath, [vitest, "run", ...process.argv.slice(2)], {
  stdio: "inherit",
});
// vitest tears its servers down on these signals; this process waits for it to finish.
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
for (const signal of forwarded) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  for (const forwardedSignal of forwarded) process.removeAllListeners(forwardedSignal);
  process.kill(process.pid, signal);
});
