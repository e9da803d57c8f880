import { describe, expect, it } from "vitest";
import { predictionRecordOf, sha256Hex, uuidV7 } from "../../src/predictions/prediction-record.js";
import { scoredText } from "./fixtures.js";

describe("predictionRecordOf", () => {
  it("keeps the text and its hash when text logging is on", () => {
    const record = predictionRecordOf(scoredText({ text: "abc" }), { logText: true });
    expect([record.text, record.textSha256]).toEqual([
      "abc",
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ]);
  });

  it("keeps only the hash when text logging is off", () => {
    const record = predictionRecordOf(scoredText({ text: "abc" }), { logText: false });
    expect([record.text, record.textSha256]).toEqual([null, sha256Hex("abc")]);
  });

  it("hashes the UTF-8 bytes of the text", () => {
    // SHA-256 of the bytes C3 A9, the UTF-8 encoding of "é".
    expect(sha256Hex("\u00e9")).toBe(
      "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c",
    );
  });

  it("hashes a lone surrogate as the U+FFFD that UTF-8 storage makes of it", () => {
    // SHA-256 of the bytes EF BF BD, the UTF-8 encoding of U+FFFD.
    expect(sha256Hex("\ud800")).toBe(
      "83d544ccc223c057d2bf80d3f2a32982c32c3c0db8e2674820da5064783fb097",
    );
    expect(sha256Hex("a\ud800b")).toBe(sha256Hex("a\ufffdb"));
  });

  it("gives every record its own id", () => {
    const scored = scoredText();
    const ids = new Set(
      Array.from({ length: 50 }, () => predictionRecordOf(scored, { logText: true }).id),
    );
    expect(ids.size).toBe(50);
  });

  it("stamps the record with the clock's time when none is given", () => {
    const record = predictionRecordOf(scoredText(), {
      logText: true,
      clock: () => 1_700_000_000_000,
    });
    expect(record.createdAt.toISOString()).toBe("2023-11-14T22:13:20.000Z");
  });
});

describe("uuidV7", () => {
  it("is an RFC 9562 version-7 UUID carrying the time in its first 48 bits", () => {
    const at = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = uuidV7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(at);
  });

  it("carries each id's own time when the times alternate", () => {
    const times = [1_700_000_000_000, 1_800_000_000_000, 1_700_000_000_000, 1_700_000_000_001];
    const carried = times.map((at) =>
      Number.parseInt(uuidV7(at).replaceAll("-", "").slice(0, 12), 16),
    );
    expect(carried).toEqual(times);
  });

  it("sorts by time across milliseconds and is unique within one", () => {
    const ids = Array.from({ length: 1000 }, (_, i) =>
      uuidV7(1_700_000_000_000 + Math.floor(i / 10)),
    );
    expect(new Set(ids).size).toBe(1000);
    for (let i = 10; i < ids.length; i += 10) {
      expect((ids[i] as string) > (ids[i - 1] as string)).toBe(true);
    }
  });

  it("is the id of a record, stamped with the record's time", () => {
    const createdAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const record = predictionRecordOf(scoredText({ createdAt }), { logText: true });
    expect(Number.parseInt(record.id.replaceAll("-", "").slice(0, 12), 16)).toBe(
      createdAt.getTime(),
    );
  });
});
