import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  charNgrams,
  charSegmentFeatures,
  DEFAULT_PREPROCESS_SETTINGS,
  decodeHtmlEntities,
  extractFeatures,
  inputLength,
  isNegation,
  MENTION_TOKEN,
  type PreprocessSettings,
  tokenize,
  URL_TOKEN,
} from "../../src/model/preprocess.js";

const S: PreprocessSettings = { ...DEFAULT_PREPROCESS_SETTINGS };

describe("decodeHtmlEntities", () => {
  it("decodes the named entities Sentiment140 keeps encoded", () => {
    expect(decodeHtmlEntities("fish &amp; chips &quot;yum&quot; &lt;3 &gt;")).toBe(
      'fish & chips "yum" <3 >',
    );
  });

  it("decodes decimal and hexadecimal entities", () => {
    expect(decodeHtmlEntities("it&#39;s &#x263A;")).toBe("it's \u263a");
  });

  it("decodes double-encoded entities", () => {
    expect(decodeHtmlEntities("&amp;quot;hi&amp;quot;")).toBe('"hi"');
  });

  it("leaves unknown and out-of-range entities as written", () => {
    expect(decodeHtmlEntities("&bogus; &#xD800; &#99999999;")).toBe("&bogus; &#xD800; &#99999999;");
  });
});

describe("tokenize", () => {
  it("lower-cases and splits on non-word characters", () => {
    expect(tokenize("Hello, WORLD", S)).toEqual(["hello", "world"]);
  });

  it("drops @mentions and URLs by default", () => {
    expect(tokenize("@bob see http://t.co/x www.site.com/a and bit.ly/abc", S)).toEqual([
      "see",
      "and",
    ]);
  });

  it("replaces mentions and URLs by placeholders when configured", () => {
    const settings = { ...S, urls: "token", mentions: "token" } as const;
    expect(tokenize("@bob look https://x.org", settings)).toEqual([
      MENTION_TOKEN,
      "look",
      URL_TOKEN,
    ]);
  });

  it("does not treat an e-mail address as a mention", () => {
    expect(tokenize("mail me@example", S)).toContain("me");
  });

  it("decodes entities before tokenizing", () => {
    expect(tokenize("rock &amp; roll &lt;3", S)).toEqual(["rock", "roll", "<3"]);
  });

  it("keeps negation contractions as one token", () => {
    expect(tokenize("I don't like it, can't won’t", S)).toEqual([
      "i",
      "dont",
      "like",
      "it",
      "cant",
      "wont",
    ]);
  });

  it("keeps negations even when stop words are removed", () => {
    const tokens = tokenize("this is not the best and no fun", { ...S, removeStopWords: true });
    expect(tokens).toEqual(["not", "best", "no", "fun"]);
  });

  it("marks the words after a negation up to punctuation when negation scope is on", () => {
    const tokens = tokenize("not good at all. great", {
      ...S,
      markNegationScope: true,
      negationScope: 3,
    });
    expect(tokens).toEqual(["not", "not_good", "not_at", "not_all", "great"]);
  });

  it("collapses elongated words", () => {
    expect(tokenize("sooooo goooood", S)).toEqual(["soo", "good"]);
  });

  it("keeps emoticons, emoji, ! and ? as tokens", () => {
    expect(tokenize("yay :) :-( 😀 wow!!! really??", S)).toEqual([
      "yay",
      ":)",
      ":-(",
      "😀",
      "wow",
      "!",
      "really",
      "?",
    ]);
  });

  it("does not read faces inside times or words", () => {
    expect(tokenize("at 10:30 xpress", S)).toEqual(["at", "10", "30", "xpress"]);
  });

  it("drops emoticons and punctuation tokens when switched off", () => {
    const settings = { ...S, keepEmoticons: false, keepExclamationQuestion: false };
    expect(tokenize("fun :) 😀 !", settings)).toEqual(["fun"]);
  });

  it("keeps right-to-left scripts and combining marks inside words", () => {
    expect(tokenize("مرحبا bien e\u0301te\u0301", S)).toEqual(["مرحبا", "bien", "été"]);
  });

  it("returns no tokens for text without words", () => {
    expect(tokenize("\u0000 \ud800 ... @someone http://x.y", S)).toEqual([]);
  });

  it("never throws and returns strings for any input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const tokens = tokenize(text, S);
        return Array.isArray(tokens) && tokens.every((t) => typeof t === "string" && t.length > 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe("isNegation", () => {
  it("recognises negation words and n't contractions without apostrophes", () => {
    expect(["not", "no", "never", "dont", "isnt", "cant", "wont"].every(isNegation)).toBe(true);
    expect(["note", "want", "ant", "know"].some(isNegation)).toBe(false);
  });
});

describe("extractFeatures", () => {
  it("appends adjacent word pairs after the words", () => {
    expect(extractFeatures("not good today", S)).toEqual([
      "not",
      "good",
      "today",
      "not good",
      "good today",
    ]);
  });

  it("returns only words when bigrams are off", () => {
    expect(extractFeatures("not good today", { ...S, bigrams: false })).toEqual([
      "not",
      "good",
      "today",
    ]);
  });
});

describe("charNgrams", () => {
  it("lists the n-grams of the word with boundary marks", () => {
    expect(charNgrams("good", 3)).toEqual(["#<go", "#goo", "#ood", "#od>"]);
  });

  it("keeps surrogate pairs whole", () => {
    expect(charNgrams("a😀", 2)).toEqual(["#<a", "#a😀", "#😀>"]);
  });
});

describe("extractFeatures with character n-grams", () => {
  it("adds the n-grams of words (not of emoticons) after words and bigrams", () => {
    const features = extractFeatures("ok :)", { ...S, bigrams: true, charNgramSize: 3 });
    expect(features).toEqual(["ok", ":)", "ok :)", "#<ok", "#ok>"]);
  });
});

describe("charSegmentFeatures", () => {
  it("takes every n-gram of the spaced token string, shortest first, negation marks as ~", () => {
    expect(charSegmentFeatures(["hi", "not_ok"], { minN: 2, maxN: 3 })).toEqual([
      " h",
      "hi",
      "i ",
      " ~",
      "~o",
      "ok",
      "k ",
      " hi",
      "hi ",
      "i ~",
      " ~o",
      "~ok",
      "ok ",
    ]);
  });

  it("counts code points, so an emoji is one character", () => {
    expect(charSegmentFeatures(["😀"], { minN: 3, maxN: 3 })).toEqual([" 😀 "]);
    expect(charSegmentFeatures(["a😀b"], { minN: 2, maxN: 2 })).toEqual([" a", "a😀", "😀b", "b "]);
  });

  it("keeps repeats and has nothing for an empty text", () => {
    expect(charSegmentFeatures(["aa", "aa"], { minN: 4, maxN: 4 })).toEqual([
      " aa ",
      "aa a",
      "a aa",
      " aa ",
    ]);
    expect(charSegmentFeatures([], { minN: 2, maxN: 5 })).toEqual([]);
  });
});

describe("inputLength", () => {
  it("is the word sequence plus the character segment", () => {
    expect(inputLength(S)).toBe(S.sequenceLength);
    expect(
      inputLength({
        ...S,
        sequenceLength: 64,
        charSegment: { minN: 2, maxN: 5, sequenceLength: 512 },
      }),
    ).toBe(576);
  });
});
