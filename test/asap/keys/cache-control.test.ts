import { describe, expect, it } from "vitest";
import { cacheLifetimeSeconds } from "../../../src/asap/keys/cache-control.js";

describe("cacheLifetimeSeconds", () => {
  it("reads max-age", () => {
    expect(cacheLifetimeSeconds("public, max-age=600", 300, 86_400)).toBe(600);
  });

  it("caps max-age", () => {
    expect(cacheLifetimeSeconds("max-age=99999999", 300, 86_400)).toBe(86_400);
  });

  it("uses the default without a header", () => {
    expect(cacheLifetimeSeconds(undefined, 300, 86_400)).toBe(300);
  });

  it("uses the default when the header has no max-age", () => {
    expect(cacheLifetimeSeconds("public", 300, 86_400)).toBe(300);
  });

  it("treats no-store as zero", () => {
    expect(cacheLifetimeSeconds("no-store", 300, 86_400)).toBe(0);
  });

  it("ignores a malformed max-age", () => {
    expect(cacheLifetimeSeconds("max-age=-5", 300, 86_400)).toBe(300);
  });

  it("reads a quoted, upper-case max-age", () => {
    expect(cacheLifetimeSeconds('MAX-AGE="42"', 300, 86_400)).toBe(42);
  });
});
