import { kidProblem } from "../../clients/typescript/src/asap/kid.js";
import { AsapError } from "./errors.js";

// The kid rules are shared with the client package's signer.
export { kidBelongsToIssuer, MAX_KID_LENGTH } from "../../clients/typescript/src/asap/kid.js";

/**
 * Returns the kid when it is safe to use as a path below a key directory or URL:
 * only `[A-Za-z0-9_.+/-]`, no leading `/`, no empty, `.` or `..` segment, bounded length.
 */
export function validateKid(kid: unknown): string {
  const problem = kidProblem(kid);
  if (problem !== undefined) throw new AsapError(problem.code, problem.message);
  return kid as string;
}
