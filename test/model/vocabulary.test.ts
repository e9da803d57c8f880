import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CompactSequences, compactSequences } from "../../src/model/bag-of-embeddings.js";
import {
  charSegmentFeatures,
  DEFAULT_PREPROCESS_SETTINGS,
  inputLength,
} from "../../src/model/preprocess.js";
import {
  buildVocabulary,
  encodeCompact,
  encodeFeatures,
  encodeTexts,
  inverseDocumentFrequencies,
  PADDING_ID,
  Vocabulary,
} from "../../src/model/vocabulary.js";

const limits = { minTokenCount: 2, minBigramCount: 3, maxFeatures: 100 };

describe("buildVocabulary", () => {
  it("keeps tokens and bigrams that reach their minimum counts", () => {
    const vocab = buildVocabulary(
      [["a", "b", "a b"], ["a", "b", "a b"], ["a", "c", "a b"], ["d b"], ["d b"]],
      limits,
    );
    expect([...vocab.features].sort()).toEqual(["a", "a b", "b"]);
  });

  it("orders features by count, ties alphabetically, so builds are reproducible", () => {
    const vocab = buildVocabulary([["z", "y", "x"], ["z", "y", "x"], ["x"]], limits);
    expect(vocab.features).toEqual(["x", "y", "z"]);
  });

  it("caps the vocabulary at maxFeatures, keeping the most frequent", () => {
    const vocab = buildVocabulary([["a", "b"], ["a", "b"], ["a"]], { ...limits, maxFeatures: 1 });
    expect(vocab.features).toEqual(["a"]);
  });

  it("numbers features from 1 so that 0 stays the padding id", () => {
    const vocab = new Vocabulary(["x", "y"]);
    expect(vocab.idOf("x")).toBe(1);
    expect(vocab.idOf("y")).toBe(2);
    expect(vocab.size).toBe(3);
  });

  it("round-trips through its file form", () => {
    const vocab = new Vocabulary(["x", "y z"]);
    expect(Vocabulary.fromFile(JSON.parse(JSON.stringify(vocab.toFile()))).features).toEqual([
      "x",
      "y z",
    ]);
  });

  it("rejects a malformed vocabulary file", () => {
    expect(() => Vocabulary.fromFile({ features: [1, 2] })).toThrow();
  });
});

describe("encodeFeatures", () => {
  const vocab = new Vocabulary(["a", "b", "c"]);

  it("repeats the known ids cyclically to fill the sequence", () => {
    const out = new Int32Array(5);
    encodeFeatures(["a", "unknown", "b"], (f) => vocab.idOf(f), "repeat", out);
    expect([...out]).toEqual([1, 2, 1, 2, 1]);
  });

  it("pads with zeros when configured", () => {
    const out = new Int32Array(4);
    encodeFeatures(["c"], (f) => vocab.idOf(f), "zero", out);
    expect([...out]).toEqual([3, 0, 0, 0]);
  });

  it("truncates long inputs", () => {
    const out = new Int32Array(2);
    encodeFeatures(["a", "b", "c"], (f) => vocab.idOf(f), "repeat", out);
    expect([...out]).toEqual([1, 2]);
  });

  it("returns all padding when no feature is known", () => {
    const out = new Int32Array(3).fill(9);
    encodeFeatures(["zzz"], (f) => vocab.idOf(f), "repeat", out);
    expect([...out]).toEqual([PADDING_ID, PADDING_ID, PADDING_ID]);
  });
});

describe("encodeTexts", () => {
  it("encodes texts into a row-major id matrix", () => {
    const settings = { ...DEFAULT_PREPROCESS_SETTINGS, sequenceLength: 3, bigrams: false };
    const ids = encodeTexts(["A b", "", "c"], new Vocabulary(["a", "b", "c"]), settings);
    expect([...ids]).toEqual([1, 2, 1, 0, 0, 0, 3, 3, 3]);
  });
});

describe("a vocabulary with a character segment", () => {
  const vocab = new Vocabulary(["a", "b"], [" a", "a ", "b"]);

  it("numbers the character n-grams after the features, in one id space", () => {
    expect([vocab.idOf("a"), vocab.idOf("b"), vocab.charIdOf(" a"), vocab.charIdOf("b")]).toEqual([
      1, 2, 3, 5,
    ]);
    expect(vocab.charIdOf("a")).toBeUndefined();
    expect(vocab.size).toBe(6);
  });

  it("round-trips through its file, and a file without n-grams has none", () => {
    const again = Vocabulary.fromFile(JSON.parse(JSON.stringify(vocab.toFile())));
    expect([again.size, again.charIdOf("a ")]).toEqual([6, 4]);
    expect(Vocabulary.fromFile({ features: ["a"] }).charFeatures).toEqual([]);
    expect(new Vocabulary(["a"]).toFile()).toEqual({ features: ["a"] });
  });

  it("encodes each text as its word sequence, then its character segment", () => {
    const settings = {
      ...DEFAULT_PREPROCESS_SETTINGS,
      sequenceLength: 3,
      bigrams: false,
      charSegment: { minN: 2, maxN: 2, sequenceLength: 4 },
    };
    // "A" -> word a; n-grams " a", "a " -> ids 3, 4 (repeated). "" -> all padding.
    const ids = encodeTexts(["A", ""], vocab, settings);
    expect([...ids]).toEqual([1, 1, 1, 3, 4, 3, 4, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("Vocabulary.writeCharSegmentIds", () => {
  // Short and long (over 7 characters: string Map) n-grams, ASCII and not.
  const grams = [
    " a",
    "a ",
    "ab",
    "b",
    " é",
    "é ",
    "😀",
    "~n",
    "xyz",
    "a b",
    "b a ",
    " ab ab ",
    " ab ab a",
  ];
  const vocab = new Vocabulary(["a", "b"], grams);

  /** The reference: every n-gram as a string, looked up one by one. */
  function byStrings(
    tokens: string[],
    segment: { minN: number; maxN: number },
    length: number,
  ): Int32Array {
    const out = new Int32Array(length);
    encodeFeatures(charSegmentFeatures(tokens, segment), (g) => vocab.charIdOf(g), "zero", out);
    return out;
  }

  for (const segment of [
    { minN: 1, maxN: 4 },
    { minN: 6, maxN: 8 },
  ]) {
    it(`writes the ids charSegmentFeatures' strings look up, in the same order, ASCII or not (n ${segment.minN}-${segment.maxN})`, () => {
      const token = fc.constantFrom("a", "b", "ab", "ba", "é", "😀", "not_n", "xyz", "aab");
      fc.assert(
        fc.property(
          fc.array(token, { maxLength: 12 }),
          fc.integer({ min: 1, max: 40 }),
          (tokens, length) => {
            const out = new Int32Array(length);
            const n = vocab.writeCharSegmentIds(tokens, segment, out);
            const expected = byStrings(tokens, segment, length);
            expect([...out]).toEqual([...expected]);
            expect(n).toBe(expected.filter((id) => id !== 0).length);
          },
        ),
      );
    });
  }

  it("finds the long n-grams too (the property above is not vacuous)", () => {
    const out = new Int32Array(8);
    expect(vocab.writeCharSegmentIds(["ab", "ab", "a"], { minN: 7, maxN: 8 }, out)).toBe(2);
    expect([...out.subarray(0, 2)]).toEqual([
      vocab.charIdOf(" ab ab "),
      vocab.charIdOf(" ab ab a"),
    ]);
  });
});

describe("encodeCompact", () => {
  /** Per row, each id's total share (an id may be listed twice). */
  function sharesById(seqs: CompactSequences): Map<number, number>[] {
    return Array.from({ length: seqs.offsets.length - 1 }, (_, row) => {
      const shares = new Map<number, number>();
      for (let k = seqs.offsets[row] as number; k < (seqs.offsets[row + 1] as number); k++) {
        const id = seqs.ids[k] as number;
        shares.set(id, (shares.get(id) ?? 0) + (seqs.shares[k] as number));
      }
      return shares;
    });
  }

  const vocab = new Vocabulary(["a", "b", "c", "a b"], [" a", "a ", "b", " b", "ab", "c "]);
  const texts = ["A b", "", "c c c c c", "b a b a b", "zzz", "a b c a b c a b c a b c"];
  for (const padding of ["repeat", "zero"] as const) {
    for (const charSegment of [null, { minN: 1, maxN: 2, sequenceLength: 5 }]) {
      it(`gives every id the share of the row encodeTexts gives it (${padding} padding, ${charSegment === null ? "words only" : "with a character segment"})`, () => {
        const settings = {
          ...DEFAULT_PREPROCESS_SETTINGS,
          sequenceLength: 4,
          padding,
          charSegment,
        };
        const full = compactSequences(encodeTexts(texts, vocab, settings), inputLength(settings));
        const compact = encodeCompact(texts, vocab, settings);
        const expected = sharesById(full);
        const actual = sharesById(compact);
        expect(actual).toHaveLength(texts.length);
        for (const [row, shares] of expected.entries()) {
          const got = actual[row] as Map<number, number>;
          expect([...got.keys()].sort()).toEqual([...shares.keys()].sort());
          for (const [id, share] of shares) expect(got.get(id)).toBeCloseTo(share, 6);
        }
        // The empty text and the unknown word have no ids: their rows are all padding.
        expect(actual[1]?.size).toBe(0);
        expect(actual[4]?.size).toBe(0);
      });
    }
  }
});

describe("encodeCompact with TF-IDF weighting", () => {
  const words = ["a", "b", "c", "a b"];
  const grams = ["a", "b", "ab"];
  const idf = [1, 2, 3, 4, 1.5, 2.5, 3.5];
  const vocab = new Vocabulary(words, grams, idf);
  const settings = {
    ...DEFAULT_PREPROCESS_SETTINGS,
    sequenceLength: 8,
    charSegment: { minN: 1, maxN: 2, sequenceLength: 16 },
    weighting: "tfidf" as const,
  };

  it("gives each distinct feature (1 + ln count) x idf, scaled to unit L2 norm per segment", () => {
    const seqs = encodeCompact(["a a b"], vocab, settings);
    const shares = new Map<number, number>();
    for (let k = 0; k < seqs.ids.length; k++) {
      shares.set(seqs.ids[k] as number, seqs.shares[k] as number);
    }
    // Words: a twice, b once, "a a" unknown, "a b" once (ids 1, 2, 4).
    const word = [(1 + Math.log(2)) * 1, 1 * 2, 1 * 4];
    const wordNorm = Math.hypot(...word);
    expect(shares.get(1)).toBeCloseTo((word[0] as number) / wordNorm, 6);
    expect(shares.get(2)).toBeCloseTo((word[1] as number) / wordNorm, 6);
    expect(shares.get(4)).toBeCloseTo((word[2] as number) / wordNorm, 6);
    const norm = (ids: number[]) => Math.hypot(...ids.map((id) => shares.get(id) ?? 0));
    expect(norm([1, 2, 3, 4])).toBeCloseTo(1, 6);
    expect(norm([5, 6, 7])).toBeCloseTo(1, 6);
    expect(seqs.ids.length).toBe(new Set(seqs.ids).size);
  });

  it("leaves a text without known features empty", () => {
    const seqs = encodeCompact(["", "zzz"], vocab, settings);
    expect([...seqs.offsets]).toEqual([0, 0, 0]);
  });

  it("has no padded id rows: encodeTexts refuses", () => {
    expect(() => encodeTexts(["a"], vocab, settings)).toThrow(/encodeCompact/);
  });

  it("needs the idf of its vocabulary", () => {
    expect(() => encodeCompact(["a"], new Vocabulary(words, grams), settings)).toThrow(/idf/);
  });

  it("reads idf from the vocabulary file and refuses one of the wrong length", () => {
    const again = Vocabulary.fromFile(JSON.parse(JSON.stringify(vocab.toFile())));
    expect([...(again.idf ?? [])].slice(1)).toEqual(idf);
    expect(() => Vocabulary.fromFile({ ...vocab.toFile(), idf: idf.slice(1) })).toThrow(
      /one value per feature/,
    );
    expect(() => new Vocabulary(words, grams, idf.slice(1))).toThrow(/idf has 6 values/);
  });

  it("computes smooth idf over texts, rarer features higher", () => {
    const idfs = inverseDocumentFrequencies(["a b", "a", "a c"], vocab, {
      ...settings,
      charSegment: null,
    });
    expect(idfs).toHaveLength(vocab.size - 1);
    expect(idfs[0]).toBeCloseTo(Math.log(4 / 4) + 1, 3); // a: in all 3
    expect(idfs[1]).toBeCloseTo(Math.log(4 / 2) + 1, 3); // b: in 1
    expect(idfs[3]).toBeCloseTo(Math.log(4 / 2) + 1, 3); // "a b": in 1
  });
});

describe("buildVocabulary with required features", () => {
  it("keeps required features below the minimum count, even under the cap", () => {
    const vocab = buildVocabulary(
      [
        ["a", "b", "rare"],
        ["a", "b"],
      ],
      { minTokenCount: 2, minBigramCount: 2, maxFeatures: 2 },
      new Set(["rare"]),
    );
    expect(vocab.features).toContain("rare");
    expect(vocab.features).toHaveLength(2);
  });
});
