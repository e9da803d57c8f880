import { isUtf8 } from "node:buffer";

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Three base64url segments; the signature may be empty so `alg: none` is refused by name.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * True when the base64url characters `text[start, end)` are the one canonical unpadded spelling
 * of their bytes: decoders ignore the unused low bits of the last character, so without this
 * check several spellings of one signature (or payload) would all verify.
 */
function isCanonicalSpan(text: string, start: number, end: number): boolean {
  const remainder = (end - start) % 4;
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(text.charAt(end - 1));
  const unusedBits = remainder === 2 ? 0b1111 : 0b11;
  return last >= 0 && (last & unusedBits) === 0;
}

/** True when `segment` is the one canonical unpadded base64url spelling of its bytes. */
export function isCanonicalBase64url(segment: string): boolean {
  return isCanonicalSpan(segment, 0, segment.length);
}

/** True for a compact JWS made of three canonical base64url segments (checked without a split). */
export function isCompactJws(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false;
  // The pattern guarantees exactly two dots.
  const headerEnd = token.indexOf(".");
  const payloadEnd = token.lastIndexOf(".");
  return (
    isCanonicalSpan(token, 0, headerEnd) &&
    isCanonicalSpan(token, headerEnd + 1, payloadEnd) &&
    isCanonicalSpan(token, payloadEnd + 1, token.length)
  );
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
