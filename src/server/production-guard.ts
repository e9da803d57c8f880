import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AppConfig } from "../config/schema.js";

/** Development defaults that must never reach production; empty when the config is fit for it. */
export function productionProblems(config: AppConfig, cwd: string): string[] {
  const problems: string[] = [];
  if (config.tls.certFile === null) {
    problems.push(
      "tls.certFile/keyFile (TLS_CERT_FILE, TLS_KEY_FILE): the self-signed development certificate is not allowed",
    );
  }
  for (const dir of localRepositories(config.asap.publicKeyRepository)) {
    if (existsSync(join(resolve(cwd, dir), config.asap.devIssuer))) {
      problems.push(
        `asap.publicKeyRepository (ASAP_PUBLICKEY_REPOSITORY): ${dir} holds the generated development issuer "${config.asap.devIssuer}"`,
      );
    }
  }
  return problems;
}

/** The directory entries of a whitespace-separated repository list (https URLs are not local). */
export function localRepositories(spec: string): string[] {
  return spec
    .split(/\s+/)
    .filter((entry) => entry.length > 0 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(entry));
}
