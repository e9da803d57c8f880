import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quickCheckOf, requestSchemas } from "../../src/http/schemas.js";

const limits = { maxTextLength: 20, maxBatchTexts: 4 };
const schemas = requestSchemas(limits);

/** Bodies near the schemas' edges: right and wrong keys, blank, long and non-BMP texts. */
const text = fc.oneof(
  fc.string({ maxLength: 25 }),
  fc.string({ unit: "grapheme", maxLength: 25 }),
  fc.constantFrom("", " ", "\t\n", "ok", "😀".repeat(11), "a".repeat(20), "a".repeat(21)),
  fc.integer(),
  fc.constant(null),
);
const body = fc.oneof(
  fc.record({ text }),
  fc.record({ texts: fc.array(text, { maxLength: 6 }) }),
  fc.record({ text, extra: fc.string() }),
  fc.record({ texts: text }),
  fc.dictionary(fc.string({ maxLength: 6 }), text, { maxKeys: 3 }),
  fc.array(text, { maxLength: 2 }),
  text,
);

describe("request schemas' quick checks", () => {
  it.each([
    ["sentiment", schemas.sentiment],
    ["batch", schemas.batch],
  ] as const)("accept only bodies the %s schema accepts unchanged", (_name, schema) => {
    const quick = quickCheckOf(schema);
    expect(quick).toBeDefined();
    fc.assert(
      fc.property(body, (candidate) => {
        // JSON round trip: the request path checks parsed JSON.
        const parsed: unknown = JSON.parse(JSON.stringify(candidate) ?? "null");
        if (quick?.(parsed) !== true) return;
        const result = schema.safeParse(parsed);
        expect(result.success).toBe(true);
        expect(result.data).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it("take the common bodies, and leave the rest (errors included) to the schema", () => {
    const sentiment = quickCheckOf(schemas.sentiment);
    const batch = quickCheckOf(schemas.batch);
    expect(sentiment?.({ text: "fine" })).toBe(true);
    expect(batch?.({ texts: ["fine", "good"] })).toBe(true);
    for (const refused of [
      { text: " " },
      { text: "a".repeat(21) },
      { text: "x", y: 1 },
      { texts: [] },
      [],
    ]) {
      expect(sentiment?.(refused) === true || batch?.(refused) === true).toBe(false);
    }
    // Non-BMP text: 11 code points in 22 UTF-16 units is valid, but only zod counts code points.
    expect(sentiment?.({ text: "😀".repeat(11) })).toBe(false);
    expect(schemas.sentiment.safeParse({ text: "😀".repeat(11) }).success).toBe(true);
  });
});
