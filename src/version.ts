import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's version, read from the nearest package.json (src/ in development, dist/src/ built). */
function readServiceVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const file = join(dir, "package.json");
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    dir = dirname(dir);
  }
  return "unknown";
}

export const SERVICE_VERSION = readServiceVersion();
