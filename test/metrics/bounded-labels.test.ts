import { describe, expect, it } from "vitest";
import {
  ASAP_REFUSAL_REASONS,
  issuerLabel,
  methodLabel,
  OTHER,
  refusalReasonLabel,
  routeLabel,
  statusLabel,
  UNMATCHED_ROUTE,
} from "../../src/metrics/bounded-labels.js";

describe("routeLabel", () => {
  it("names the first matched route handler, skipping middleware", () => {
    const matched = [
      { method: "ALL", path: "*" },
      { method: "ALL", path: "/v1/*" },
      { method: "POST", path: "/v1/sentiment" },
      { method: "POST", path: "/v1/:anything" },
    ];
    expect(routeLabel(matched)).toBe("/v1/sentiment");
  });

  it("is unmatched when only middleware and catch-alls matched", () => {
    expect(routeLabel([{ method: "ALL", path: "*" }])).toBe(UNMATCHED_ROUTE);
    expect(routeLabel([])).toBe(UNMATCHED_ROUTE);
  });
});

describe("methodLabel", () => {
  it("keeps standard methods in upper case and maps others to other", () => {
    expect(methodLabel("post")).toBe("POST");
    expect(methodLabel("PROPFIND")).toBe(OTHER);
    expect(methodLabel("X".repeat(500))).toBe(OTHER);
  });
});

describe("statusLabel", () => {
  it("keeps HTTP status codes and maps impossible ones to other", () => {
    expect(statusLabel(404)).toBe("404");
    expect(statusLabel(0)).toBe(OTHER);
    expect(statusLabel(1000)).toBe(OTHER);
  });
});

describe("refusalReasonLabel", () => {
  it("keeps every ASAP refusal code", () => {
    for (const code of ASAP_REFUSAL_REASONS) expect(refusalReasonLabel(code)).toBe(code);
  });

  it("maps codes outside the ASAP set to other", () => {
    expect(refusalReasonLabel("invalid_private_key")).toBe(OTHER);
    expect(refusalReasonLabel("anything a caller sent")).toBe(OTHER);
  });
});

describe("issuerLabel", () => {
  it("keeps only configured issuers", () => {
    const allowed = new Set(["billing", "search"]);
    expect(issuerLabel("billing", allowed)).toBe("billing");
    expect(issuerLabel("attacker-chosen-123", allowed)).toBe(OTHER);
  });

  it("maps every issuer to other when no issuer list is configured", () => {
    expect(issuerLabel("billing", new Set())).toBe(OTHER);
  });
});
