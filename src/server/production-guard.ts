import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { repositoryEntries } from "../asap/keys/create-key-repository.js";
import type { AppConfig } from "../config/schema.js";

/** Development defaults that must never reach production; empty when the config is fit for it. */
export function productionProblems(config: AppConfig, cwd: string): string[] {
  const problems: string[] = [];
  if (config.tls.certFile === null) {
    problems.push(
      "tls.certFile/keyFile (TLS_CERT_FILE, TLS_KEY_FILE): the self-signed development certificate is not allowed",
    );
  }
  const directories = repositoryEntries(config.asap.publicKeyRepository)
    .filter(({ local }) => local)
    .map(({ entry }) => entry);
  for (const dir of directories) {
    if (existsSync(join(resolve(cwd, dir), config.asap.devIssuer))) {
      problems.push(
        `asap.publicKeyRepository (ASAP_PUBLICKEY_REPOSITORY): ${dir} holds the generated development issuer "${config.asap.devIssuer}"`,
      );
    }
  }
  return problems;
}
