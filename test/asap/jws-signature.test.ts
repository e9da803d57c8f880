import { constants, createSign, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { CompactSign } from "jose";
import { describe, expect, it } from "vitest";
import { ASAP_ALGORITHMS } from "../../src/asap/algorithms.js";
import { verifyJwsSignature } from "../../src/asap/jws-signature.js";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const curves: Record<string, string> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };
const ecPairs = new Map(
  Object.entries(curves).map(([alg, namedCurve]) => [
    alg,
    generateKeyPairSync("ec", { namedCurve }),
  ]),
);

function pairFor(alg: string): { privateKey: KeyObject; publicKey: KeyObject } {
  return ecPairs.get(alg) ?? rsa;
}

/** A compact JWS signed by jose, split into what verifyJwsSignature takes. */
async function joseSigned(alg: string) {
  const token = await new CompactSign(new TextEncoder().encode('{"iss":"dev"}'))
    .setProtectedHeader({ alg })
    .sign(pairFor(alg).privateKey);
  const end = token.lastIndexOf(".");
  return {
    input: token.slice(0, end),
    signature: Buffer.from(token.slice(end + 1), "base64url"),
  };
}

describe("verifyJwsSignature", () => {
  it.each(ASAP_ALGORITHMS)("accepts a %s signature made by jose", async (alg) => {
    const { input, signature } = await joseSigned(alg);
    expect(await verifyJwsSignature(alg, input, signature, pairFor(alg).publicKey)).toBe(true);
  });

  it.each(ASAP_ALGORITHMS)("refuses a %s signature over other bytes", async (alg) => {
    const { input, signature } = await joseSigned(alg);
    expect(await verifyJwsSignature(alg, `${input}x`, signature, pairFor(alg).publicKey)).toBe(
      false,
    );
  });

  it.each([63, 65, 0])("refuses an ES256 signature of %i bytes", async (length) => {
    const { input, signature } = await joseSigned("ES256");
    const resized = Buffer.alloc(length);
    signature.copy(resized, 0, 0, Math.min(length, signature.length));
    expect(await verifyJwsSignature("ES256", input, resized, pairFor("ES256").publicKey)).toBe(
      false,
    );
  });

  it("refuses a valid DER-encoded ECDSA signature of the same input", async () => {
    const { input } = await joseSigned("ES256");
    const der = sign("sha256", Buffer.from(input), pairFor("ES256").privateKey);
    expect(await verifyJwsSignature("ES256", input, der, pairFor("ES256").publicKey)).toBe(false);
  });

  it("refuses an ES384 token carrying an ES256-sized signature", async () => {
    const { input, signature } = await joseSigned("ES384");
    expect(
      await verifyJwsSignature(
        "ES384",
        input,
        signature.subarray(0, 64),
        pairFor("ES384").publicKey,
      ),
    ).toBe(false);
  });

  it("refuses a PS256 signature whose salt is not the digest length", async () => {
    const { input } = await joseSigned("PS256");
    const shortSalt = sign("sha256", Buffer.from(input), {
      key: rsa.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 0,
    });
    expect(await verifyJwsSignature("PS256", input, shortSalt, rsa.publicKey)).toBe(false);
  });

  it("refuses a PS256 signature presented as RS256", async () => {
    const { input, signature } = await joseSigned("PS256");
    expect(await verifyJwsSignature("RS256", input, signature, rsa.publicKey)).toBe(false);
  });

  it("refuses an RS256 signature presented as PS256", async () => {
    const { input, signature } = await joseSigned("RS256");
    expect(await verifyJwsSignature("PS256", input, signature, rsa.publicKey)).toBe(false);
  });

  it("refuses an RS256 signature made with SHA-512 instead of SHA-256", async () => {
    const { input } = await joseSigned("RS256");
    const sha512 = createSign("sha512").update(input).sign(rsa.privateKey);
    expect(await verifyJwsSignature("RS256", input, sha512, rsa.publicKey)).toBe(false);
  });

  it("refuses a truncated RS256 signature without throwing", async () => {
    const { input, signature } = await joseSigned("RS256");
    expect(await verifyJwsSignature("RS256", input, signature.subarray(1), rsa.publicKey)).toBe(
      false,
    );
  });

  it("refuses an algorithm it does not know, such as HS256", async () => {
    const { input, signature } = await joseSigned("RS256");
    expect(await verifyJwsSignature("HS256", input, signature, rsa.publicKey)).toBe(false);
  });
});
