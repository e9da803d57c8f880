import { describe, expect, it } from "vitest";
import { isAsapError } from "../../src/asap/errors.js";
import { kidBelongsToIssuer, MAX_KID_LENGTH, validateKid } from "../../src/asap/kid.js";

function codeOf(kid: unknown): string | undefined {
  try {
    validateKid(kid);
    return undefined;
  } catch (error) {
    return isAsapError(error) ? error.code : "not an AsapError";
  }
}

describe("validateKid", () => {
  it.each([
    "dev/key1",
    "micros/some-service/2024-01-01",
    "a+b/c_d.e-f",
    "iss/name.pem",
    "a/..b",
    "a/b..",
  ])("accepts the well-formed kid %s", (kid) => {
    expect(validateKid(kid)).toBe(kid);
  });

  it.each([undefined, null, ""])("refuses an absent kid (%s) as missing_kid", (kid) => {
    expect(codeOf(kid)).toBe("missing_kid");
  });

  it.each([
    ["../x", "parent segment at the start"],
    ["iss/../../etc/passwd", "parent segments in the middle"],
    ["/abs", "absolute path"],
    ["/etc/passwd", "absolute system path"],
    ["iss//k", "empty segment"],
    ["iss/./k", "dot segment"],
    ["iss/k/", "trailing slash"],
    ["iss/..", "trailing parent segment"],
    ["..", "parent segment alone"],
    [".", "dot alone"],
    ["iss/%2e%2e/k", "percent-encoded dots"],
    ["iss/%2F..%2Fk", "percent-encoded slash"],
    ["iss\\..\\k", "backslashes"],
    ["iss/k\u0000", "NUL byte"],
    ["iss/k\n", "newline"],
    ["iss/k name", "space"],
    ["iss/ké", "non-ASCII letter"],
    ["iss/k?x=1", "query string"],
    ["iss/k#frag", "fragment"],
    ["https://evil.example/k", "URL with scheme"],
    [`iss/${"k".repeat(MAX_KID_LENGTH)}`, "overlong"],
  ])("refuses %s (%s) as invalid_kid", (kid) => {
    expect(codeOf(kid)).toBe("invalid_kid");
  });

  it.each([42, {}, ["iss/k"], true])("refuses the non-string kid %j as invalid_kid", (kid) => {
    expect(codeOf(kid)).toBe("invalid_kid");
  });

  it("accepts a kid of exactly the maximum length", () => {
    const kid = `iss/${"k".repeat(MAX_KID_LENGTH - 4)}`;
    expect(validateKid(kid)).toHaveLength(MAX_KID_LENGTH);
  });
});

describe("kidBelongsToIssuer", () => {
  it("accepts a kid that starts with the issuer and a slash", () => {
    expect(kidBelongsToIssuer("dev/key1", "dev")).toBe(true);
  });

  it("accepts an issuer that itself contains slashes", () => {
    expect(kidBelongsToIssuer("micros/svc/key1", "micros/svc")).toBe(true);
  });

  it("refuses a kid whose first segment only starts with the issuer", () => {
    expect(kidBelongsToIssuer("developer/key1", "dev")).toBe(false);
  });

  it("refuses a kid of another issuer", () => {
    expect(kidBelongsToIssuer("other/key1", "dev")).toBe(false);
  });

  it("refuses a kid that is just the issuer and a slash", () => {
    expect(kidBelongsToIssuer("dev/", "dev")).toBe(false);
  });

  it("refuses an empty issuer", () => {
    expect(kidBelongsToIssuer("/key1", "")).toBe(false);
  });
});
