import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AsciiGramTable,
  asciiGramKey,
  isAsciiGram,
  MAX_ASCII_GRAM,
} from "../../src/model/ascii-gram-table.js";

const asciiGram = fc.string({
  unit: fc.integer({ min: 0, max: 127 }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: MAX_ASCII_GRAM,
});

describe("asciiGramKey", () => {
  it("gives distinct ASCII grams distinct keys, exactly (below 2^53)", () => {
    fc.assert(
      fc.property(asciiGram, asciiGram, (a, b) => {
        const keyA = asciiGramKey(a, 0, a.length);
        expect(Number.isSafeInteger(keyA)).toBe(true);
        expect(keyA === asciiGramKey(b, 0, b.length)).toBe(a === b);
      }),
    );
    // Leading NULs and the length are part of the key.
    expect(asciiGramKey("a", 0, 1)).not.toBe(asciiGramKey("\u0000a", 0, 2));
  });

  it("keys a slice of a text like the gram on its own", () => {
    expect(asciiGramKey(" hello ", 2, 3)).toBe(asciiGramKey("ell", 0, 3));
  });
});

describe("AsciiGramTable", () => {
  it("finds every ASCII gram's id and nothing else", () => {
    fc.assert(
      fc.property(fc.uniqueArray(asciiGram, { maxLength: 300 }), asciiGram, (grams, probe) => {
        const table = new AsciiGramTable(grams, 10);
        grams.forEach((gram, k) => {
          expect(table.idOf(asciiGramKey(gram, 0, gram.length))).toBe(10 + k);
        });
        const expected = grams.indexOf(probe);
        expect(table.idOf(asciiGramKey(probe, 0, probe.length))).toBe(
          expected === -1 ? undefined : 10 + expected,
        );
      }),
    );
  });

  it("leaves out grams that are not ASCII or too long, and keeps a repeated gram's last id", () => {
    const table = new AsciiGramTable(["ab", "é", "abcdefgh", "ab"], 1);
    expect(table.idOf(asciiGramKey("ab", 0, 2))).toBe(4);
    expect(table.idOf(asciiGramKey("abcdefg", 0, 7))).toBeUndefined();
    expect(["é", "abcdefgh", "", " a b "].map(isAsciiGram)).toEqual([false, false, false, true]);
  });
});
