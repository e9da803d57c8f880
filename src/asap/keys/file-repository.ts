import type { KeyObject } from "node:crypto";
import { open, realpath } from "node:fs/promises";
import path from "node:path";
import { AsapError, isAsapError } from "../errors.js";
import { validateKid } from "../kid.js";
import { BoundedMap } from "./bounded-map.js";
import { ImportedPublicKey } from "./public-key-pem.js";
import type { PublicKeyRepository } from "./repository.js";

export interface FileKeyRepositoryOptions {
  /** How long a read (or a miss) is reused; short so a replaced file is picked up. Default 10. */
  cacheSeconds?: number;
  /** Files larger than this are not keys. Default 16 KiB. */
  maxBytes?: number;
  maxCachedKids?: number;
  clock?: () => number;
}

type CachedFile =
  | { kind: "key"; key: ImportedPublicKey; until: number }
  | { kind: "refused"; error: AsapError; until: number };

/** Public keys as PEM files at `<dir>/<kid>`, never outside `dir`. */
export class FileKeyRepository implements PublicKeyRepository {
  readonly dir: string;
  private readonly cacheMs: number;
  private readonly maxBytes: number;
  private readonly clock: () => number;
  private readonly cache: BoundedMap<string, CachedFile>;
  private readonly reading = new Map<string, Promise<CachedFile>>();

  constructor(dir: string, options: FileKeyRepositoryOptions = {}) {
    this.dir = path.resolve(dir);
    this.cacheMs = (options.cacheSeconds ?? 10) * 1000;
    this.maxBytes = options.maxBytes ?? 16 * 1024;
    this.clock = options.clock ?? Date.now;
    this.cache = new BoundedMap(options.maxCachedKids ?? 10_000);
  }

  async getPublicKey(kid: string, alg: string): Promise<KeyObject> {
    validateKid(kid);
    const now = this.clock();
    let cached = this.cache.get(kid);
    if (cached === undefined || now >= cached.until) cached = await this.readOnce(kid, now, cached);
    if (cached.kind === "refused") throw cached.error;
    return cached.key.forAlgorithm(alg);
  }

  /** Reads and caches a kid, sharing one read between concurrent callers (read never rejects). */
  private readOnce(
    kid: string,
    now: number,
    previous: CachedFile | undefined,
  ): Promise<CachedFile> {
    let pending = this.reading.get(kid);
    if (pending === undefined) {
      pending = this.read(kid, now, previous)
        .then((entry) => {
          this.cache.set(kid, entry);
          return entry;
        })
        .finally(() => this.reading.delete(kid));
      this.reading.set(kid, pending);
    }
    return pending;
  }

  private async read(
    kid: string,
    now: number,
    previous: CachedFile | undefined,
  ): Promise<CachedFile> {
    const until = now + this.cacheMs;
    try {
      const pem = await this.readInsideDir(kid);
      // An unchanged file keeps its already-parsed key.
      const key =
        previous?.kind === "key" && previous.key.pem === pem
          ? previous.key
          : new ImportedPublicKey(pem, kid);
      return { kind: "key", key, until };
    } catch (error) {
      if (isAsapError(error)) return { kind: "refused", error, until };
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") {
        const missing = new AsapError("unknown_key", "no public key with this kid", { kid });
        return { kind: "refused", error: missing, until };
      }
      const unreadable = new AsapError("invalid_key", "the public key file cannot be read", {
        kid,
        cause: error,
      });
      return { kind: "refused", error: unreadable, until };
    }
  }

  private async readInsideDir(kid: string): Promise<string> {
    const file = path.resolve(this.dir, kid);
    // Defence in depth after validateKid: the lexical path and the real path (symlinks) stay in dir.
    if (!isInside(this.dir, file)) {
      throw new AsapError("invalid_kid", "the kid resolves outside the key directory", { kid });
    }
    const [realDir, realFile] = await Promise.all([realpath(this.dir), realpath(file)]);
    if (!isInside(realDir, realFile)) {
      throw new AsapError("invalid_key", "the key file resolves outside the key directory", {
        kid,
      });
    }
    const handle = await open(realFile, "r");
    try {
      const stats = await handle.stat();
      if (!stats.isFile())
        throw new AsapError("unknown_key", "no public key with this kid", { kid });
      if (stats.size > this.maxBytes) {
        throw new AsapError("invalid_key", "the public key file is too large", { kid });
      }
      const buffer = Buffer.alloc(this.maxBytes + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > this.maxBytes) {
        throw new AsapError("invalid_key", "the public key file is too large", { kid });
      }
      return buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  }
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== "" && relative.split(path.sep)[0] !== ".." && !path.isAbsolute(relative);
}
