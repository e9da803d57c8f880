import { isUtf8 } from "node:buffer";

/** The 6-bit value of each base64url character code, -1 for any other character. */
const BASE64URL_VALUE = new Int8Array(128).fill(-1);
for (const [index, character] of [
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
].entries()) {
  BASE64URL_VALUE[character.charCodeAt(0)] = index;
}

/** The base64url value of the character at `index`, -1 when it is not base64url. */
function valueAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? (BASE64URL_VALUE[code] as number) : -1;
}

/**
 * True when `text[start, end)` is the one canonical unpadded base64url spelling of its bytes:
 * only base64url characters, a length bytes can have, and the unused low bits of the last
 * character zero (decoders ignore them, so without this several spellings of one signature or
 * payload would all verify). An empty segment is canonical (it spells no bytes).
 */
function isCanonicalSegment(text: string, start: number, end: number): boolean {
  for (let index = start; index < end; index++) if (valueAt(text, index) < 0) return false;
  const remainder = (end - start) % 4;
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  const unusedBits = remainder === 2 ? 0b1111 : 0b11;
  return (valueAt(text, end - 1) & unusedBits) === 0;
}

/** True when `segment` is the one canonical unpadded base64url spelling of its bytes. */
export function isCanonicalBase64url(segment: string): boolean {
  return isCanonicalSegment(segment, 0, segment.length);
}

/**
 * True for a compact JWS made of three canonical base64url segments, the first two non-empty
 * (the signature may be empty so `alg: none` is refused by name). One pass, no allocation.
 */
export function isCompactJws(token: string): boolean {
  const headerEnd = token.indexOf(".");
  const payloadEnd = token.indexOf(".", headerEnd + 1);
  if (headerEnd <= 0 || payloadEnd <= headerEnd + 1) return false;
  if (token.indexOf(".", payloadEnd + 1) !== -1) return false;
  return (
    isCanonicalSegment(token, 0, headerEnd) &&
    isCanonicalSegment(token, headerEnd + 1, payloadEnd) &&
    isCanonicalSegment(token, payloadEnd + 1, token.length)
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
