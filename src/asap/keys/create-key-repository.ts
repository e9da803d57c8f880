import path from "node:path";
import { ChainedKeyRepository } from "./chained-repository.js";
import { FileKeyRepository, type FileKeyRepositoryOptions } from "./file-repository.js";
import { HttpsKeyRepository, type HttpsKeyRepositoryOptions } from "./https-repository.js";
import type { PublicKeyRepository } from "./repository.js";

export interface CreateKeyRepositoryOptions {
  https?: HttpsKeyRepositoryOptions;
  file?: FileKeyRepositoryOptions;
  /** Relative directories are resolved against this. Default: process.cwd(). */
  baseDir?: string;
}

/** A bad `ASAP_PUBLICKEY_REPOSITORY` value; the message names the offending entry. */
export class KeyRepositoryConfigError extends Error {
  readonly code = "invalid_key_repository";

  constructor(message: string) {
    super(message);
    this.name = "KeyRepositoryConfigError";
  }
}

const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** The entries of an `ASAP_PUBLICKEY_REPOSITORY` value, in order: URLs and directory paths. */
export function repositoryEntries(spec: string): { entry: string; local: boolean }[] {
  return spec
    .split(/\s+/)
    .filter((entry) => entry.length > 0)
    .map((entry) => ({ entry, local: !URL_SCHEME.test(entry) }));
}

/**
 * Builds the repository described by an `ASAP_PUBLICKEY_REPOSITORY` value: whitespace-separated
 * https URLs and directory paths, tried in order. Plain http:// (and any other scheme) is refused.
 */
export function createKeyRepository(
  spec: string,
  options: CreateKeyRepositoryOptions = {},
): PublicKeyRepository {
  const entries = repositoryEntries(spec);
  if (entries.length === 0) {
    throw new KeyRepositoryConfigError("ASAP_PUBLICKEY_REPOSITORY is empty");
  }
  const repositories = entries.map((entry) => createOne(entry, options));
  return repositories.length === 1 && repositories[0] !== undefined
    ? repositories[0]
    : new ChainedKeyRepository(repositories);
}

function createOne(
  { entry, local }: { entry: string; local: boolean },
  options: CreateKeyRepositoryOptions,
): PublicKeyRepository {
  if (!local) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new KeyRepositoryConfigError(
        `ASAP_PUBLICKEY_REPOSITORY: "${entry}" is not a valid URL`,
      );
    }
    if (url.protocol !== "https:") {
      throw new KeyRepositoryConfigError(
        `ASAP_PUBLICKEY_REPOSITORY: "${entry}" must be an https:// URL (keys over ${url.protocol} could be forged in transit)`,
      );
    }
    if (url.username !== "" || url.password !== "") {
      throw new KeyRepositoryConfigError(
        "ASAP_PUBLICKEY_REPOSITORY: key server URLs must not carry credentials",
      );
    }
    return new HttpsKeyRepository(url, options.https);
  }
  const dir = path.resolve(options.baseDir ?? process.cwd(), entry);
  return new FileKeyRepository(dir, options.file);
}
