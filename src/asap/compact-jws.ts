import { isUtf8 } from "node:buffer";

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Three base64url segments; the signature may be empty so `alg: none` is refused by name.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * True when `segment` is the one canonical unpadded base64url spelling of its bytes: decoders
 * ignore the unused low bits of the last character, so without this check several spellings of
 * one signature (or payload) would all verify.
 */
export function isCanonicalBase64url(segment: string): boolean {
  const remainder = segment.length % 4;
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1));
  const unusedBits = remainder === 2 ? 0b1111 : 0b11;
  return last >= 0 && (last & unusedBits) === 0;
}

/** True for a compact JWS made of three canonical base64url segments. */
export function isCompactJws(token: string): boolean {
  return COMPACT_JWS.test(token) && token.split(".").every(isCanonicalBase64url);
}

/**
 * The JSON object a base64url segment spells, or undefined when it is not one (including bytes
 * that are not UTF-8, which a lenient decoder would silently replace).
 */
export function decodeJsonObjectSegment(segment: string): Record<string, unknown> | undefined {
  const bytes = Buffer.from(segment, "base64url");
  if (!isUtf8(bytes)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}
