import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeJsonObjectSegment,
  isCanonicalBase64url,
  isCompactJws,
} from "../../src/asap/compact-jws.js";

describe("isCanonicalBase64url", () => {
  it("accepts whatever Buffer encodes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(isCanonicalBase64url(Buffer.from(bytes).toString("base64url"))).toBe(true);
      }),
    );
  });

  it("refuses a last character with unused bits set", () => {
    // "QQ" is the canonical encoding of "A"; "QR" decodes to the same byte.
    expect([isCanonicalBase64url("QQ"), isCanonicalBase64url("QR")]).toEqual([true, false]);
  });

  it("refuses a length that no byte string encodes to", () => {
    expect(isCanonicalBase64url("QUFBQ")).toBe(false);
  });
});

describe("isCompactJws", () => {
  it("accepts three segments with an empty signature", () => {
    expect(isCompactJws("eyJ9.eyJ9.")).toBe(true);
  });

  it("accepts three canonical segments", () => {
    expect(isCompactJws("QQ.QUE.QUFB")).toBe(true);
  });

  it.each(["QQ.QQ", "QQ.QQ.QQ.QQ", "QQ.Q=.QQ", "QQ..QQ", " QQ.QQ.QQ", "QQ.QQ.QR"])(
    "refuses %j",
    (token) => {
      expect(isCompactJws(token)).toBe(false);
    },
  );
});

describe("decodeJsonObjectSegment", () => {
  const segment = (text: string | Buffer) => Buffer.from(text).toString("base64url");

  it("decodes a base64url JSON object", () => {
    expect(decodeJsonObjectSegment(segment('{"alg":"RS256","n":1}'))).toEqual({
      alg: "RS256",
      n: 1,
    });
  });

  it.each(["[1,2]", "null", '"text"', "42", "{not json"])("refuses %s", (text) => {
    expect(decodeJsonObjectSegment(segment(text))).toBeUndefined();
  });

  it("refuses bytes that are not UTF-8 rather than replacing them", () => {
    const bytes = Buffer.from('{"sub":"@"}');
    bytes[bytes.indexOf("@")] = 0xff;
    expect(decodeJsonObjectSegment(segment(bytes))).toBeUndefined();
  });
});
