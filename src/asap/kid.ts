import { AsapError } from "./errors.js";

export const MAX_KID_LENGTH = 255;

const KID_CHARACTERS = /^[A-Za-z0-9_.+/-]+$/;

/**
 * Returns the kid when it is safe to use as a path below a key directory or URL:
 * only `[A-Za-z0-9_.+/-]`, no leading `/`, no empty, `.` or `..` segment, bounded length.
 */
export function validateKid(kid: unknown): string {
  if (kid === undefined || kid === null) {
    throw new AsapError("missing_kid", "the token header has no kid");
  }
  if (typeof kid !== "string") throw new AsapError("invalid_kid", "the kid is not a string");
  if (kid.length === 0) throw new AsapError("missing_kid", "the kid is empty");
  if (kid.length > MAX_KID_LENGTH) {
    throw new AsapError("invalid_kid", `the kid is longer than ${MAX_KID_LENGTH} characters`);
  }
  if (!KID_CHARACTERS.test(kid)) {
    throw new AsapError("invalid_kid", "the kid contains characters outside [A-Za-z0-9_.+/-]");
  }
  if (kid.startsWith("/")) throw new AsapError("invalid_kid", "the kid starts with /");
  for (const segment of kid.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new AsapError("invalid_kid", "the kid has an empty, . or .. segment");
    }
  }
  return kid;
}

/** ASAP ties a key to its issuer: the kid must start with `iss + "/"`. */
export function kidBelongsToIssuer(kid: string, issuer: string): boolean {
  return issuer.length > 0 && kid.length > issuer.length + 1 && kid.startsWith(`${issuer}/`);
}
