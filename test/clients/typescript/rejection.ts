import { expect } from "vitest";
import { SentimentClientError } from "../../../clients/typescript/src/errors.js";

/** The SentimentClientError a call rejects with (fails the test when it resolves or throws another). */
export async function rejection(promise: Promise<unknown>): Promise<SentimentClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SentimentClientError);
    return error as SentimentClientError;
  }
  throw new Error("expected a rejection");
}
