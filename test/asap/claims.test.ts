import { describe, expect, it } from "vitest";
import {
  audienceIncludes,
  type ClaimRules,
  readAsapClaims,
  validateAsapClaims,
} from "../../src/asap/claims.js";
import { isAsapError } from "../../src/asap/errors.js";

const NOW = 1_800_000_000;
const rules: ClaimRules = {
  audience: "sentiment-api",
  nowSeconds: NOW,
  leewaySeconds: 30,
  maxLifetimeSeconds: 3600,
};

function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: "dev",
    sub: "dev",
    aud: "sentiment-api",
    jti: "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
    iat: NOW,
    nbf: NOW,
    exp: NOW + 60,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

function codeOf(claims: Record<string, unknown>, at: Partial<ClaimRules> = {}): string | undefined {
  try {
    validateAsapClaims(claims, { ...rules, ...at });
    return undefined;
  } catch (error) {
    return isAsapError(error) ? error.code : "not an AsapError";
  }
}

describe("readAsapClaims", () => {
  it("defaults sub to iss when sub is absent", () => {
    expect(readAsapClaims(payload({ sub: undefined })).sub).toBe("dev");
  });

  it("keeps a sub that differs from iss", () => {
    expect(readAsapClaims(payload({ sub: "user-42" })).sub).toBe("user-42");
  });

  it("defaults nbf to iat when nbf is absent", () => {
    expect(readAsapClaims(payload({ nbf: undefined, iat: NOW - 5 })).nbf).toBe(NOW - 5);
  });

  it.each(["iss", "aud", "jti", "iat", "exp"])(
    "refuses a token without %s as missing_claim",
    (name) => {
      expect(codeOf(payload({ [name]: undefined }))).toBe("missing_claim");
    },
  );

  it.each([
    ["iss", 42],
    ["iss", ""],
    ["iss", null],
    ["sub", 7],
    ["sub", ""],
    ["aud", { service: "sentiment-api" }],
    ["aud", 1],
    ["aud", ""],
    ["aud", []],
    ["aud", ["sentiment-api", 3]],
    ["aud", ["sentiment-api", ""]],
    ["jti", ""],
    ["jti", 12345],
    ["jti", "j".repeat(1025)],
    ["iat", "1800000000"],
    ["exp", "1800000060"],
    ["exp", null],
    ["exp", true],
    ["nbf", "1800000000"],
    ["nbf", null],
    ["iat", -1],
  ])("refuses %s = %j as invalid_claim", (name, value) => {
    expect(codeOf(payload({ [name]: value }))).toBe("invalid_claim");
  });

  it("refuses an exp before iat as invalid_claim", () => {
    expect(codeOf(payload({ iat: NOW, exp: NOW - 1 }))).toBe("invalid_claim");
  });
});

describe("audience", () => {
  it("accepts an aud string equal to the audience", () => {
    expect(codeOf(payload({ aud: "sentiment-api" }))).toBeUndefined();
  });

  it("accepts an aud list containing the audience", () => {
    expect(codeOf(payload({ aud: ["other", "sentiment-api"] }))).toBeUndefined();
  });

  it("refuses an aud string naming another service", () => {
    expect(codeOf(payload({ aud: "other-api" }))).toBe("invalid_audience");
  });

  it("refuses an aud list without the audience", () => {
    expect(codeOf(payload({ aud: ["a", "b"] }))).toBe("invalid_audience");
  });

  it("does not match an audience by substring", () => {
    expect(audienceIncludes("sentiment-api-2", "sentiment-api")).toBe(false);
  });
});

describe("time rules at the leeway boundary (leeway 30 s)", () => {
  const exp = NOW + 60;

  it("accepts a token exactly leeway seconds past exp", () => {
    expect(codeOf(payload(), { nowSeconds: exp + 30 })).toBeUndefined();
  });

  it("refuses a token just past exp + leeway as token_expired", () => {
    expect(codeOf(payload(), { nowSeconds: exp + 30.001 })).toBe("token_expired");
  });

  it("accepts a token exactly leeway seconds before nbf", () => {
    expect(
      codeOf(payload({ iat: NOW, nbf: NOW + 10, exp: NOW + 60 }), { nowSeconds: NOW - 20 }),
    ).toBeUndefined();
  });

  it("refuses a token more than leeway seconds before nbf as token_not_yet_valid", () => {
    expect(
      codeOf(payload({ iat: NOW - 40, nbf: NOW + 10, exp: NOW + 60 }), {
        nowSeconds: NOW - 20.001,
      }),
    ).toBe("token_not_yet_valid");
  });

  it("accepts an iat exactly leeway seconds in the future", () => {
    expect(codeOf(payload({ iat: NOW + 30, nbf: NOW, exp: NOW + 90 }))).toBeUndefined();
  });

  it("refuses an iat beyond leeway in the future as token_issued_in_future", () => {
    expect(codeOf(payload({ iat: NOW + 31, nbf: NOW, exp: NOW + 91 }))).toBe(
      "token_issued_in_future",
    );
  });

  it("refuses an iat in the future without nbf as token_issued_in_future, not blaming nbf", () => {
    expect(codeOf(payload({ nbf: undefined, iat: NOW + 120, exp: NOW + 180 }))).toBe(
      "token_issued_in_future",
    );
  });

  it("refuses an iat and an nbf both in the future as token_issued_in_future", () => {
    expect(codeOf(payload({ iat: NOW + 120, nbf: NOW + 120, exp: NOW + 180 }))).toBe(
      "token_issued_in_future",
    );
  });

  it("refuses an nbf in the future with an iat of now as token_not_yet_valid", () => {
    expect(codeOf(payload({ iat: NOW, nbf: NOW + 120, exp: NOW + 180 }))).toBe(
      "token_not_yet_valid",
    );
  });

  it("honours a leeway of zero", () => {
    expect(codeOf(payload(), { nowSeconds: exp + 1, leewaySeconds: 0 })).toBe("token_expired");
  });
});

describe("lifetime", () => {
  it("accepts a lifetime of exactly 3600 seconds", () => {
    expect(codeOf(payload({ exp: NOW + 3600 }))).toBeUndefined();
  });

  it("refuses a lifetime of 3601 seconds as lifetime_too_long", () => {
    expect(codeOf(payload({ exp: NOW + 3601 }))).toBe("lifetime_too_long");
  });

  it("honours a smaller configured maximum lifetime", () => {
    expect(codeOf(payload({ exp: NOW + 120 }), { maxLifetimeSeconds: 60 })).toBe(
      "lifetime_too_long",
    );
  });
});
