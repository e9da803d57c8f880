import { describe, expect, it } from "vitest";
import { SentimentApiError, SentimentClientError } from "../../../clients/typescript/src/errors.js";
import { parseRetryAfter, retryDelayMs } from "../../../clients/typescript/src/retry.js";

const answered = (status: number, retryAfterSeconds?: number) =>
  new SentimentApiError({
    code: "x",
    message: "x",
    status,
    requestId: undefined,
    retryAfterSeconds,
    details: undefined,
  });
const policy = { maxAttempts: 3, remainingMs: 10_000 };
const noJitter = () => 0;

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter(" 3 ", 0)).toBe(3);
  });

  it("reads an HTTP date as the seconds until it, rounded up", () => {
    const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
    expect(parseRetryAfter("Wed, 21 Oct 2026 07:28:02 GMT", now - 500)).toBe(3);
  });

  it("reads a date in the past as 0", () => {
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.now())).toBe(0);
  });

  it.each([undefined, "", "soon", "-1", "1.5"])("ignores %j", (value) => {
    expect(parseRetryAfter(value, 0)).toBeUndefined();
  });
});

describe("retryDelayMs", () => {
  it.each([429, 503])("waits Retry-After (plus at most 20%%) after a %i", (status) => {
    expect([
      retryDelayMs(answered(status, 2), 1, policy, noJitter),
      retryDelayMs(answered(status, 2), 1, policy, () => 0.999),
    ]).toEqual([2000, expect.closeTo(2399.6, 1)]);
  });

  it("backs off exponentially with jitter when there is no Retry-After", () => {
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) =>
      retryDelayMs(answered(503), attempt, { maxAttempts: 10, remainingMs: 60_000 }, () => 1),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000]);
    expect(retryDelayMs(answered(503), 1, policy, noJitter)).toBe(50);
  });

  it("retries a failed connection", () => {
    expect(
      retryDelayMs(new SentimentClientError("connection_failed", "x"), 1, policy, noJitter),
    ).toBe(50);
  });

  it.each([400, 401, 403, 404, 413, 415, 500, 502])("never retries a %i", (status) => {
    expect(retryDelayMs(answered(status, 1), 1, policy)).toBeUndefined();
  });

  it.each(["timeout", "aborted", "invalid_response", "untrusted_certificate"] as const)(
    "never retries %s",
    (code) => {
      expect(retryDelayMs(new SentimentClientError(code, "x"), 1, policy)).toBeUndefined();
    },
  );

  it("stops after maxAttempts", () => {
    expect([
      retryDelayMs(answered(503, 0), 2, policy, noJitter),
      retryDelayMs(answered(503, 0), 3, policy, noJitter),
    ]).toEqual([0, undefined]);
  });

  it("gives up when the wait would not end before the deadline", () => {
    expect(
      retryDelayMs(answered(429, 5), 1, { maxAttempts: 3, remainingMs: 4000 }, noJitter),
    ).toBeUndefined();
  });
});
