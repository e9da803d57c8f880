import { describe, expect, it } from "vitest";
import { parseBearerToken } from "../../src/asap/bearer.js";
import { isAsapError } from "../../src/asap/errors.js";
import { parseBearerToken as reexported } from "../../src/asap/verify.js";

function codeOf(value: string | undefined): string | undefined {
  try {
    parseBearerToken(value);
    return undefined;
  } catch (error) {
    return isAsapError(error) ? error.code : "not an AsapError";
  }
}

describe("parseBearerToken", () => {
  it("returns the token after Bearer", () => {
    expect(parseBearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi");
  });

  it.each(["bearer", "BEARER", "BeArEr"])("accepts the scheme spelt %s", (scheme) => {
    expect(parseBearerToken(`${scheme} a.b.c`)).toBe("a.b.c");
  });

  it("tolerates surrounding and repeated spaces", () => {
    expect(parseBearerToken("  Bearer    a.b.c  ")).toBe("a.b.c");
  });

  it.each([undefined, "", "   "])(
    "refuses an absent or blank header (%j) as missing_token",
    (value) => {
      expect(codeOf(value)).toBe("missing_token");
    },
  );

  it("refuses Bearer without a token as missing_token", () => {
    expect(codeOf("Bearer")).toBe("missing_token");
  });

  it.each(["Basic dXNlcjpwYXNz", "Token a.b.c", "a.b.c", "Bearer-x a.b.c"])(
    "refuses the non-Bearer value %s as invalid_authorization_header",
    (value) => {
      expect(codeOf(value)).toBe("invalid_authorization_header");
    },
  );

  it("refuses a Bearer value with two tokens", () => {
    expect(codeOf("Bearer a.b.c d.e.f")).toBe("invalid_authorization_header");
  });

  it("is re-exported from verify.ts", () => {
    expect(reexported).toBe(parseBearerToken);
  });
});
