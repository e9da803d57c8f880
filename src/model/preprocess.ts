import { z } from "zod";

/**
 * Text preprocessing shared by training and serving. Every switch is recorded in the model's
 * metadata.json, and the serving side rebuilds the exact same pipeline from it.
 */
export const PreprocessSettingsSchema = z.object({
  /** Decode HTML entities (`&amp;`, `&quot;`, `&#39;`...): Sentiment140 keeps them encoded. */
  decodeHtmlEntities: z.boolean(),
  /** URLs: removed (as the notebook did) or replaced by one placeholder token. */
  urls: z.enum(["drop", "token"]),
  /** @mentions: removed (as the notebook did) or replaced by one placeholder token. */
  mentions: z.enum(["drop", "token"]),
  /** Collapse a character repeated 3+ times to two ("soooo" -> "soo"). */
  collapseElongations: z.boolean(),
  /** Keep emoticons such as `:)` `:(` `<3` and emoji as tokens. */
  keepEmoticons: z.boolean(),
  /** Keep `!` and `?` as tokens (runs collapse to one). */
  keepExclamationQuestion: z.boolean(),
  /** Remove English stop words (negations are never removed). */
  removeStopWords: z.boolean(),
  /** Prefix the words that follow a negation with `not_`, up to punctuation or `negationScope` words. */
  markNegationScope: z.boolean(),
  negationScope: z.number().int().min(1).max(20),
  /** Add adjacent word pairs ("not good") as extra features. */
  bigrams: z.boolean(),
  /** Add the character n-grams of this size of every word ("#<go", "#goo"...); 0 = off. */
  charNgramSize: z.number().int().min(0).max(6).default(0),
  /** Fixed length of the word-feature sequence fed to the network. */
  sequenceLength: z.number().int().min(1).max(1000),
  /**
   * A second bag, averaged with the word bag by the network: the character n-grams (`minN` to
   * `maxN` code points, across word boundaries) of the token string, in a segment of
   * `sequenceLength` ids after the word sequence. Null: words only.
   */
  charSegment: z
    .object({
      minN: z.number().int().min(1).max(8),
      maxN: z.number().int().min(1).max(8),
      sequenceLength: z.number().int().min(1).max(4000),
    })
    .refine((segment) => segment.minN <= segment.maxN, { message: "minN must not exceed maxN" })
    .nullable()
    .default(null),
  /**
   * How a sequence shorter than `sequenceLength` is filled: "repeat" cycles its ids so the
   * network's average over all positions approximates the mean over the tweet's features;
   * "zero" pads with id 0 (a zero embedding row) so the average is sum / sequenceLength.
   */
  padding: z.enum(["repeat", "zero"]),
  /**
   * The weight of each known feature in the network's input. "average": the padded id row's
   * average (a feature's share is its count / the row length). "tfidf": per segment, the
   * feature's (1 + ln count) x its idf (vocab.json), the segment's values scaled to unit L2
   * norm, as a sublinear TF-IDF vectoriser does; such a model runs on compact sequences only.
   */
  weighting: z.enum(["average", "tfidf"]).default("average"),
});
export type PreprocessSettings = z.infer<typeof PreprocessSettingsSchema>;

export const DEFAULT_PREPROCESS_SETTINGS: PreprocessSettings = {
  decodeHtmlEntities: true,
  urls: "drop",
  mentions: "drop",
  collapseElongations: true,
  keepEmoticons: true,
  keepExclamationQuestion: true,
  removeStopWords: false,
  markNegationScope: false,
  negationScope: 3,
  bigrams: true,
  charNgramSize: 0,
  sequenceLength: 64,
  charSegment: null,
  padding: "repeat",
  weighting: "average",
};

/** Ids per text fed to the network: the word sequence, then the character segment if any. */
export function inputLength(settings: PreprocessSettings): number {
  return settings.sequenceLength + (settings.charSegment?.sequenceLength ?? 0);
}

export const URL_TOKEN = "<url>";
export const MENTION_TOKEN = "<user>";

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&",
  quot: '"',
  apos: "'",
  lt: "<",
  gt: ">",
  nbsp: " ",
};

/** Decodes the HTML entities found in tweets (named basics plus numeric ones). */
export function decodeHtmlEntities(text: string): string {
  // Twice: some tweets are double-encoded ("&amp;quot;").
  let out = text;
  for (let pass = 0; pass < 2; pass++) {
    const next = out.replace(
      /&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi,
      (whole, body: string) => {
        if (body[0] === "#") {
          const code =
            body[1] === "x" || body[1] === "X"
              ? Number.parseInt(body.slice(2), 16)
              : Number.parseInt(body.slice(1), 10);
          // Out-of-range or surrogate code points stay as written.
          if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
          return String.fromCodePoint(code);
        }
        return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
      },
    );
    if (next === out) break;
    out = next;
  }
  return out;
}

const NEGATION_WORDS = new Set([
  "not",
  "no",
  "never",
  "nothing",
  "nobody",
  "none",
  "nowhere",
  "neither",
  "nor",
  "cannot",
  "without",
]);

/** A word is a negation if it is in the list or is a contraction ending in n't ("dont", "isnt"). */
export function isNegation(word: string): boolean {
  if (NEGATION_WORDS.has(word)) return true;
  return /^(?:do|does|did|is|are|was|were|have|has|had|ca|can|could|would|should|wo|won|must|ai|need|might)nt$/.test(
    word,
  );
}

// The usual English stop-word list minus negations and sentiment-bearing words.
const STOP_WORDS = new Set(
  (
    "a an the and or but if while of at by for with about against between into through during before after above below " +
    "to from up down in out on off over under again further then once here there when where why how all any both each " +
    "few more most other some such only own same so than too very s t can will just should now i me my myself we our " +
    "ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them " +
    "their theirs themselves what which who whom this that these those am is are was were be been being have has had " +
    "having do does did doing im ive id ill youre its thats"
  ).split(" "),
);

const URL_PATTERN = /(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|ly|co|io)(?:\/\S*)?/giu;
const MENTION_PATTERN = /(?<![\p{L}\p{N}_])@[\p{L}\p{N}_]+/gu;
// Emoticons must stand alone: "10:30" and "xp" inside words are not faces.
const EMOTICON_SOURCE =
  "(?<![\\p{L}\\p{N}])(?:[:;=][-o'^]?[)\\](\\[dp/\\\\|@3*]|[)\\](\\[][-o'^]?[:;=]|<3+|\\^_*\\^|:'\\()(?![\\p{L}\\p{N}])";
// Tokens: placeholders, emoticons, words (letters, digits, combining marks), emoji, ! and ?.
const TOKEN_PATTERN = new RegExp(
  `(<url>|<user>)|(${EMOTICON_SOURCE})|([\\p{L}\\p{N}\\p{M}_]+)|(\\p{Extended_Pictographic})|([!?]+)|([.,;:]+)`,
  "gu",
);

/** Lower-cases and normalises one text and splits it into word-level tokens. */
export function tokenize(text: string, settings: PreprocessSettings): string[] {
  let s = text.normalize("NFKC");
  if (settings.decodeHtmlEntities) s = decodeHtmlEntities(s);
  s = s.toLowerCase();
  s = s.replace(URL_PATTERN, settings.urls === "token" ? ` ${URL_TOKEN} ` : " ");
  s = s.replace(MENTION_PATTERN, settings.mentions === "token" ? ` ${MENTION_TOKEN} ` : " ");
  if (settings.collapseElongations) s = s.replace(/(.)\1{2,}/gsu, "$1$1");
  // "don't" -> "dont": the apostrophe belongs to the word (curly apostrophes too).
  s = s.replace(/(?<=[\p{L}])['’](?=[\p{L}])/gu, "");

  const tokens: string[] = [];
  let negationLeft = 0;
  for (const m of s.matchAll(TOKEN_PATTERN)) {
    const [, placeholder, emoticon, word, emoji, exclaim, punctuation] = m;
    if (punctuation !== undefined || exclaim !== undefined) negationLeft = 0;
    if (placeholder !== undefined) {
      tokens.push(placeholder);
    } else if (emoticon !== undefined) {
      if (settings.keepEmoticons) tokens.push(emoticon);
    } else if (emoji !== undefined) {
      if (settings.keepEmoticons) tokens.push(emoji);
    } else if (exclaim !== undefined) {
      if (settings.keepExclamationQuestion) {
        if (exclaim.includes("!")) tokens.push("!");
        if (exclaim.includes("?")) tokens.push("?");
      }
    } else if (word !== undefined) {
      if (isNegation(word)) {
        tokens.push(word);
        negationLeft = settings.negationScope;
        continue;
      }
      if (settings.removeStopWords && STOP_WORDS.has(word)) continue;
      if (settings.markNegationScope && negationLeft > 0) {
        tokens.push(`not_${word}`);
        negationLeft--;
      } else {
        tokens.push(word);
      }
    }
  }
  return tokens;
}

/** The character n-grams of a word with boundary marks, prefixed by "#" ("#<go", "#go>"). */
export function charNgrams(word: string, size: number): string[] {
  const chars = [...`<${word}>`]; // code points, so surrogate pairs stay whole
  const grams: string[] = [];
  for (let i = 0; i + size <= chars.length; i++)
    grams.push(`#${chars.slice(i, i + size).join("")}`);
  return grams;
}

/**
 * The features of a text: its tokens, then (if enabled) its adjacent token pairs, then (if
 * enabled) the character n-grams of its words. Sequences are cut at the end, so the
 * character n-grams go first when a text is long.
 */
export function extractFeatures(text: string, settings: PreprocessSettings): string[] {
  return featuresOfTokens(tokenize(text, settings), settings);
}

/** extractFeatures for an already tokenized text. */
export function featuresOfTokens(
  tokens: readonly string[],
  settings: PreprocessSettings,
): string[] {
  const features = tokens.slice();
  if (settings.bigrams) {
    for (let i = 0; i + 1 < tokens.length; i++) features.push(`${tokens[i]} ${tokens[i + 1]}`);
  }
  if (settings.charNgramSize > 0) {
    for (const token of tokens) {
      if (!/^[\p{L}\p{N}_]/u.test(token)) continue; // words only: no emoticons or placeholders
      features.push(
        ...charNgrams(token.startsWith("not_") ? token.slice(4) : token, settings.charNgramSize),
      );
    }
  }
  return features;
}

/** The string the character segment's n-grams are cut from (see charSegmentFeatures). */
export function charSegmentText(tokens: readonly string[]): string {
  const marked = tokens.map((token) => (token.startsWith("not_") ? `~${token.slice(4)}` : token));
  return ` ${marked.join(" ")} `;
}

/** Where each code point of `text` starts, then `text.length`: code point i is slice(starts[i], starts[i + 1]). */
export function codePointStarts(text: string): number[] {
  const starts: number[] = [];
  for (let at = 0; at < text.length; at += (text.codePointAt(at) as number) > 0xffff ? 2 : 1) {
    starts.push(at);
  }
  starts.push(text.length);
  return starts;
}

/**
 * The character segment's features: every n-gram (n from `minN` to `maxN`, in code points) of
 * the tokens joined by spaces with a space at each end, shortest n first, repeats kept. A
 * negation-scope mark "not_" becomes the one character "~", so it costs the n-grams little room.
 * No tokens, no n-grams.
 */
export function charSegmentFeatures(
  tokens: readonly string[],
  segment: { minN: number; maxN: number },
): string[] {
  if (tokens.length === 0) return [];
  const text = charSegmentText(tokens);
  // An n-gram is one slice of the string.
  const starts = codePointStarts(text);
  const chars = starts.length - 1;
  const grams: string[] = [];
  for (let n = segment.minN; n <= segment.maxN; n++) {
    for (let i = 0; i + n <= chars; i++) {
      grams.push(text.slice(starts[i] as number, starts[i + n] as number));
    }
  }
  return grams;
}
