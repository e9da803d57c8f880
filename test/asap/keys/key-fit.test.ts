import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AsapError } from "../../../src/asap/errors.js";
import { assertKeyFitsAlgorithm, keyMisfit } from "../../../src/asap/keys/key-fit.js";

const rsa2048 = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 });
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
const p521 = generateKeyPairSync("ec", { namedCurve: "P-521" });
const secp256k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
const ed25519 = generateKeyPairSync("ed25519");
const rsaPss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 });

describe("keyMisfit", () => {
  it.each(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])(
    "lets a 2048-bit RSA key verify %s",
    (alg) => {
      expect(keyMisfit(rsa2048.publicKey, alg)).toBeUndefined();
    },
  );

  it.each([
    ["ES256", p256],
    ["ES384", p384],
    ["ES512", p521],
  ] as const)("lets a key on the %s curve verify it", (alg, pair) => {
    expect(keyMisfit(pair.publicKey, alg)).toBeUndefined();
  });

  it.each(["RS256", "PS256"])("refuses a 1024-bit RSA key for %s", (alg) => {
    expect(keyMisfit(rsa1024.publicKey, alg)).toMatch(/1024 bits/);
  });

  it.each([
    ["ES256", p384],
    ["ES256", secp256k1],
    ["ES384", p256],
    ["ES512", p384],
  ] as const)("refuses a key on another curve for %s", (alg, pair) => {
    expect(keyMisfit(pair.publicKey, alg)).toMatch(/needs a key on/);
  });

  it.each(["RS256", "PS512"])("refuses an EC key for %s", (alg) => {
    expect(keyMisfit(p256.publicKey, alg)).toMatch(/needs an RSA key/);
  });

  it("refuses an RSA key for ES256", () => {
    expect(keyMisfit(rsa2048.publicKey, "ES256")).toMatch(/needs an EC key/);
  });

  it("refuses an Ed25519 key for ES256", () => {
    expect(keyMisfit(ed25519.publicKey, "ES256")).toMatch(/needs an EC key/);
  });

  it("refuses an RSASSA-PSS-only key, whose own restrictions it does not check", () => {
    expect(keyMisfit(rsaPss.publicKey, "PS256")).toMatch(/needs an RSA key/);
  });

  it("refuses a private key", () => {
    expect(keyMisfit(rsa2048.privateKey, "RS256")).toMatch(/not a public key/);
  });

  it("refuses an algorithm that is not an ASAP one", () => {
    expect(keyMisfit(p256.publicKey, "HS256")).toMatch(/not an ASAP algorithm/);
  });
});

describe("assertKeyFitsAlgorithm", () => {
  it("throws invalid_key naming the kid for a key that does not fit", () => {
    let thrown: unknown;
    try {
      assertKeyFitsAlgorithm(p384.publicKey, "ES256", "dev/key1");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AsapError);
    expect(thrown).toMatchObject({ code: "invalid_key", kid: "dev/key1" });
  });
});
