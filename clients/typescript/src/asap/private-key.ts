import { createPrivateKey, KeyObject, type webcrypto } from "node:crypto";
import { SentimentClientError } from "../errors.js";
import { kidProblem } from "./kid.js";

/** A private key as callers hold it: a KeyObject, a WebCrypto CryptoKey, or a PEM string. */
export type PrivateKeyInput = KeyObject | webcrypto.CryptoKey | string;

const DATA_URI = /^data:application\/pkcs8;kid=([^;,]+);base64,([A-Za-z0-9+/]+={0,2})$/;

/** True when `value` looks like a data URI rather than a PEM (so it is parsed as one). */
export function isPrivateKeyDataUri(value: string): boolean {
  return value.trimStart().startsWith("data:");
}

/**
 * Parses Atlassian's `ASAP_PRIVATE_KEY` form: `data:application/pkcs8;kid=<url-encoded kid>;base64,<DER>`.
 * Errors never repeat the URI: it holds the key.
 */
export function parsePrivateKeyDataUri(uri: string): { kid: string; privateKey: KeyObject } {
  const match = DATA_URI.exec(uri.trim());
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new SentimentClientError(
      "invalid_private_key",
      "the private key is not a data:application/pkcs8;kid=...;base64,... URI",
    );
  }
  let kid: string;
  try {
    kid = decodeURIComponent(match[1]);
  } catch {
    throw new SentimentClientError(
      "invalid_private_key",
      "the private key data URI has an invalid kid: it is not URL-encoded",
    );
  }
  const problem = kidProblem(kid);
  if (problem !== undefined) {
    throw new SentimentClientError(
      "invalid_private_key",
      `the private key data URI has an invalid kid: ${problem.message}`,
    );
  }
  try {
    const privateKey = createPrivateKey({
      key: Buffer.from(match[2], "base64"),
      format: "der",
      type: "pkcs8",
    });
    return { kid, privateKey };
  } catch {
    // The crypto library's message adds nothing a caller can act on, and no key bytes may leak.
    throw new SentimentClientError(
      "invalid_private_key",
      `the private key data URI for kid ${kid} holds no PKCS#8 private key`,
    );
  }
}

/** Formats a PKCS#8 DER private key as an `ASAP_PRIVATE_KEY` data URI. */
export function formatPrivateKeyDataUri(kid: string, pkcs8Der: Uint8Array): string {
  const problem = kidProblem(kid);
  if (problem !== undefined) throw new SentimentClientError(problem.code, problem.message);
  return `data:application/pkcs8;kid=${encodeURIComponent(kid)};base64,${Buffer.from(pkcs8Der).toString("base64")}`;
}

/** The private KeyObject for `input` (a PEM is parsed here, once); throws invalid_private_key. */
export function toPrivateKeyObject(input: PrivateKeyInput): KeyObject {
  let key: KeyObject;
  if (typeof input === "string") {
    try {
      key = createPrivateKey(input);
    } catch {
      throw new SentimentClientError(
        "invalid_private_key",
        "the private key PEM cannot be parsed (expected PKCS#8, PKCS#1 or SEC1)",
      );
    }
  } else if (input instanceof KeyObject) {
    key = input;
  } else {
    try {
      key = KeyObject.from(input);
    } catch {
      throw new SentimentClientError("invalid_private_key", "the CryptoKey cannot be used");
    }
  }
  if (key.type !== "private") {
    throw new SentimentClientError("invalid_private_key", "the signing key is not a private key");
  }
  return key;
}
