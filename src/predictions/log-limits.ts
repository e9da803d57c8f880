/**
 * The prediction log's limits: how much it may keep (size cap, retention) and what share of
 * requests it keeps (sampling). Pure functions: the config validates with them, the stores and
 * the log apply them.
 */

/** Records per write (one transaction): the PredictionLog's default batch. */
export const WRITE_BATCH_RECORDS = 200;

/** A record's stored bytes besides its text: ids, caller, model, numbers, hash, index entries. */
const RECORD_OVERHEAD_BYTES = 512;

/**
 * The most bytes one write batch can take: every record with the longest text allowed, each UTF-16
 * code unit taking up to 3 bytes in UTF-8 (a surrogate pair takes 4 for 2 units).
 */
export function writeBatchBytes(options: { maxTextLength: number; logText: boolean }): number {
  const textBytes = options.logText ? 3 * options.maxTextLength : 0;
  return WRITE_BATCH_RECORDS * (RECORD_OVERHEAD_BYTES + textBytes);
}

/**
 * The smallest size cap the SQLite log can keep: two write batches, one in the WAL and one in the
 * database file. Below it a single batch could outgrow the cap, whatever is pruned.
 */
export function minimumCapBytes(options: { maxTextLength: number; logText: boolean }): number {
  return 2 * writeBatchBytes(options);
}

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * A retention from `30d`, `12h`, `90m`, `45s`, `2w` (or milliseconds as a number); `0` and `off`
 * mean keep everything (null). Undefined when malformed.
 */
export function parseRetention(value: unknown): number | null | undefined {
  if (value === 0 || value === "0" || value === null) return null;
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  if (/^\s*(0|off)\s*$/i.test(value)) return null;
  const match = DURATION.exec(value);
  if (match === null) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[(match[2] as string).toLowerCase()] as number);
  return ms >= 1 ? Math.round(ms) : undefined;
}

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$/i;
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * A size from bytes (`10000000`) or with a unit (`500MB`, `1GiB`); `0` and `off` mean no cap
 * (null). Undefined when malformed.
 */
export function parseByteSize(value: unknown): number | null | undefined {
  if (value === 0 || value === "0" || value === null) return null;
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }
  if (typeof value !== "string") return undefined;
  if (/^\s*(0|off)\s*$/i.test(value)) return null;
  const match = SIZE.exec(value);
  if (match === null) return undefined;
  const bytes = Math.floor(Number(match[1]) * (UNIT_BYTES[(match[2] ?? "b").toLowerCase()] ?? 1));
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/**
 * Whether the request with this id is logged at `rate` (0..1). Deterministic: the same id gives
 * the same answer in every process, so a batch is kept or skipped whole and a replayed log can be
 * explained. FNV-1a (32-bit) over the id's UTF-16 units, compared with rate x 2^32.
 */
export function sampledIn(requestId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let hash = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) {
    hash ^= requestId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // FNV's low bits mix poorly for short similar ids: fold the high half in before comparing.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0 < rate * 2 ** 32;
}
