export const MAX_KID_LENGTH = 255;

const KID_CHARACTERS = /^[A-Za-z0-9_.+/-]+$/;

/** Why a kid is unusable, with the ASAP error code for it. */
export interface KidProblem {
  readonly code: "missing_kid" | "invalid_kid";
  readonly message: string;
}

/**
 * Undefined when `kid` is safe to use as a path below a key directory or URL: only
 * `[A-Za-z0-9_.+/-]`, no leading `/`, no empty, `.` or `..` segment, bounded length.
 */
export function kidProblem(kid: unknown): KidProblem | undefined {
  if (kid === undefined || kid === null)
    return { code: "missing_kid", message: "the kid is missing" };
  if (typeof kid !== "string") return { code: "invalid_kid", message: "the kid is not a string" };
  if (kid.length === 0) return { code: "missing_kid", message: "the kid is empty" };
  if (kid.length > MAX_KID_LENGTH) {
    return { code: "invalid_kid", message: `the kid is longer than ${MAX_KID_LENGTH} characters` };
  }
  if (!KID_CHARACTERS.test(kid)) {
    return {
      code: "invalid_kid",
      message: "the kid contains characters outside [A-Za-z0-9_.+/-]",
    };
  }
  if (kid.startsWith("/")) return { code: "invalid_kid", message: "the kid starts with /" };
  for (const segment of kid.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      return { code: "invalid_kid", message: "the kid has an empty, . or .. segment" };
    }
  }
  return undefined;
}

/** ASAP ties a key to its issuer: the kid must start with `iss + "/"`. */
export function kidBelongsToIssuer(kid: string, issuer: string): boolean {
  return issuer.length > 0 && kid.length > issuer.length + 1 && kid.startsWith(`${issuer}/`);
}
