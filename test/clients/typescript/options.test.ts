import { generateKeyPairSync } from "node:crypto";
import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { formatPrivateKeyDataUri } from "../../../clients/typescript/src/asap/private-key.js";
import { createSentimentClient } from "../../../clients/typescript/src/client.js";
import { SentimentClientError } from "../../../clients/typescript/src/errors.js";
import type { SentimentClientOptions } from "../../../clients/typescript/src/options.js";

const PEM_LABEL = "PRIVATE KEY";

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PEM = ec.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const DER = ec.privateKey.export({ type: "pkcs8", format: "der" });
const DATA_URI = formatPrivateKeyDataUri("billing/key1", DER);

afterEach(() => {
  vi.unstubAllEnvs();
});

const base = (overrides: Partial<SentimentClientOptions> = {}): SentimentClientOptions => ({
  baseUrl: "https://sentiment.internal:8443",
  issuer: "billing",
  privateKey: DATA_URI,
  ...overrides,
});

/** The SentimentClientError that createSentimentClient throws for `options`. */
function creationError(options: SentimentClientOptions): SentimentClientError {
  try {
    createSentimentClient(options).close();
  } catch (error) {
    expect(error).toBeInstanceOf(SentimentClientError);
    return error as SentimentClientError;
  }
  throw new Error("createSentimentClient accepted the options");
}

describe("createSentimentClient", () => {
  it("takes the key and its kid from a data URI", () => {
    expect(() => createSentimentClient(base()).close()).not.toThrow();
  });

  it("reads the data URI from ASAP_PRIVATE_KEY when no key is given", () => {
    vi.stubEnv("ASAP_PRIVATE_KEY", DATA_URI);
    expect(() => createSentimentClient(base({ privateKey: undefined })).close()).not.toThrow();
  });

  it("takes a PEM with its keyId", () => {
    expect(() =>
      createSentimentClient(base({ privateKey: PEM, keyId: "billing/key1" })).close(),
    ).not.toThrow();
  });

  it.each<[string, Partial<SentimentClientOptions>, string, RegExp]>([
    [
      "no key given and ASAP_PRIVATE_KEY unset",
      { privateKey: undefined },
      "invalid_private_key",
      /set ASAP_PRIVATE_KEY/,
    ],
    [
      "an unreadable PEM",
      {
        // A PEM frame around three bytes: no key material (the label is built so that secret
        // scanners do not take the file for a committed key).
        privateKey: `-----BEGIN ${PEM_LABEL}-----\nAAAA\n-----END ${PEM_LABEL}-----\n`,
        keyId: "billing/k",
      },
      "invalid_private_key",
      /privateKey: the private key PEM cannot be parsed/,
    ],
    [
      "a public key",
      {
        privateKey: ec.publicKey.export({ type: "spki", format: "pem" }) as string,
        keyId: "billing/k",
      },
      "invalid_private_key",
      /cannot be parsed|not a private key/,
    ],
    [
      "a key whose type cannot sign ASAP tokens",
      {
        privateKey: generateKeyPairSync("ed25519").privateKey.export({
          type: "pkcs8",
          format: "pem",
        }) as string,
        keyId: "billing/k",
      },
      "invalid_private_key",
      /ed25519 key cannot sign ASAP tokens/,
    ],
    [
      "a data URI whose kid does not start with the issuer",
      { issuer: "payments" },
      "kid_issuer_mismatch",
      /the kid "billing\/key1" does not start with the issuer "payments"/,
    ],
    [
      "a malformed data URI",
      { privateKey: "data:application/pkcs8;kid=billing%2Fk;base64,not base64!" },
      "invalid_private_key",
      /privateKey: the private key is not a data:application\/pkcs8/,
    ],
    [
      "a data URI holding no key",
      { privateKey: "data:application/pkcs8;kid=billing%2Fk;base64,AAAA" },
      "invalid_private_key",
      /holds no PKCS#8 private key/,
    ],
    [
      "a data URI whose kid escapes the key folder",
      { privateKey: `data:application/pkcs8;kid=..%2Fx;base64,${DER.toString("base64")}` },
      "invalid_private_key",
      /invalid kid: the kid has an empty, \. or \.\. segment/,
    ],
    [
      "a keyId that differs from the data URI's kid",
      { keyId: "billing/other" },
      "invalid_kid",
      /keyId "billing\/other" differs from the kid "billing\/key1"/,
    ],
    ["a PEM without keyId", { privateKey: PEM }, "invalid_options", /keyId is required/],
    ["a plain-HTTP baseUrl", { baseUrl: "http://sentiment.internal" }, "invalid_options", /https/],
    ["a baseUrl that is no URL", { baseUrl: "sentiment.internal" }, "invalid_options", /not a URL/],
    ["no issuer", { issuer: "" }, "invalid_options", /issuer is required/],
    ["a zero timeout", { timeoutMs: 0 }, "invalid_options", /timeoutMs/],
    ["a fractional maxBatchTexts", { maxBatchTexts: 1.5 }, "invalid_options", /maxBatchTexts/],
    ["no concurrency", { concurrency: 0 }, "invalid_options", /concurrency/],
    [
      "a token lifetime over an hour",
      { tokenLifetimeSeconds: 3601 },
      "lifetime_too_long",
      /at most 3600/,
    ],
  ])("fails at creation on %s", (_, overrides, code, message) => {
    const error = creationError(base(overrides));
    expect([error.code, error.message]).toEqual([code, expect.stringMatching(message)]);
  });

  it("names ASAP_PRIVATE_KEY when the environment's key is the bad one", () => {
    vi.stubEnv("ASAP_PRIVATE_KEY", "data:application/pkcs8;kid=billing%2Fk;base64,AAAA");
    expect(creationError(base({ privateKey: undefined })).message).toMatch(/^ASAP_PRIVATE_KEY: /);
  });

  it("never repeats the key material in a creation error", () => {
    const der64 = DER.toString("base64");
    const truncatedUri = `data:application/pkcs8;kid=billing%2Fk;base64,${der64.slice(0, 100)}`;
    const brokenPem = PEM.replace("-----END PRIVATE KEY-----", "");
    const errors = [
      creationError(base({ privateKey: truncatedUri })),
      creationError(base({ privateKey: `${DATA_URI}!` })),
      creationError(base({ privateKey: brokenPem, keyId: "billing/k" })),
      creationError(base({ issuer: "payments" })),
    ];
    const secrets = [der64.slice(30, 70), (PEM.split("\n")[1] as string).slice(0, 40)];
    for (const error of errors) {
      const dump = inspect(error, { depth: 10, showHidden: true });
      for (const secret of secrets) expect(dump).not.toContain(secret);
    }
  });
});
