import { SentimentApiError, type SentimentClientError } from "./errors.js";

/** Statuses worth sending again: the service sheds load (503) or the issuer's rate is spent (429). */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;

/** Seconds from a `Retry-After` header (delay-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // An HTTP date names a day or month and a time (Date.parse alone also takes "-1" or "1.5").
  if (!/[A-Za-z]{3}.*\d{2}:\d{2}:\d{2}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/** Whether the failure may succeed when sent again: 429, 503, or no connection. */
export function isRetryable(failure: SentimentClientError): boolean {
  if (failure instanceof SentimentApiError) return RETRIED_STATUSES.has(failure.status);
  return failure.code === "connection_failed";
}

/**
 * Milliseconds to wait before attempt `attempt + 1`, or undefined to give up: not retryable, no
 * attempts left, or the wait (the service's Retry-After, else an exponential backoff with jitter)
 * would not end before the deadline.
 */
export function retryDelayMs(
  failure: SentimentClientError,
  attempt: number,
  policy: { readonly maxAttempts: number; readonly remainingMs: number },
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts || !isRetryable(failure)) return undefined;
  const retryAfter = failure instanceof SentimentApiError ? failure.retryAfterSeconds : undefined;
  // Up to 20% more than Retry-After, so callers turned away together do not all return together.
  const delay =
    retryAfter !== undefined
      ? retryAfter * 1000 * (1 + random() / 5)
      : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1)) * (0.5 + random() / 2);
  return delay < policy.remainingMs ? delay : undefined;
}
