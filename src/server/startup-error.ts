/** A start-up refusal whose message is meant for the operator. */
export class StartupError extends Error {
  readonly code = "startup_refused";
}
