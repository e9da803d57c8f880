import { describe, expect, it } from "vitest";
import { AsapError, isAsapError } from "../../src/asap/errors.js";

describe("AsapError", () => {
  it("carries a stable code, the issuer and the kid", () => {
    const error = new AsapError("unknown_key", "no such key", { issuer: "dev", kid: "dev/k" });
    expect([error.code, error.issuer, error.kid]).toEqual(["unknown_key", "dev", "dev/k"]);
  });

  it("is recognised by isAsapError and other errors are not", () => {
    expect([isAsapError(new AsapError("token_expired", "x")), isAsapError(new Error("x"))]).toEqual(
      [true, false],
    );
  });

  it("drops an oversized issuer instead of carrying it into logs", () => {
    const error = new AsapError("invalid_signature", "x", { issuer: "i".repeat(10_000) });
    expect(error.issuer).toBeUndefined();
  });

  it("keeps its own context when more is added", () => {
    const error = new AsapError("unknown_key", "x", { kid: "a/b" }).withContext({
      issuer: "a",
      kid: "other/kid",
    });
    expect([error.code, error.issuer, error.kid]).toEqual(["unknown_key", "a", "a/b"]);
  });
});
