import { AsapError } from "./errors.js";

/** Extracts the token from an `Authorization: Bearer <token>` value (scheme case-insensitive). */
export function parseBearerToken(headerValue: string | undefined): string {
  const value = headerValue?.trim() ?? "";
  if (value.length === 0) throw new AsapError("missing_token", "no Authorization header");
  const match = /^(\S+)(?:[ \t]+(.*))?$/s.exec(value);
  const scheme = match?.[1] ?? "";
  if (scheme.toLowerCase() !== "bearer") {
    throw new AsapError("invalid_authorization_header", "the Authorization scheme is not Bearer");
  }
  const token = match?.[2]?.trim() ?? "";
  if (token.length === 0) throw new AsapError("missing_token", "the Bearer token is empty");
  if (/\s/.test(token)) {
    throw new AsapError("invalid_authorization_header", "the Bearer value contains whitespace");
  }
  return token;
}
