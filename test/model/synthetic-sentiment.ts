import { mulberry32 } from "../../src/model/bag-of-embeddings.js";

const POSITIVE = ["love", "great", "happy", "awesome", "thanks", "fun", "nice", "best"];
const NEGATIVE = ["hate", "awful", "sad", "terrible", "sick", "worst", "bored", "tired"];
const FILLER = [
  "today",
  "the",
  "movie",
  "work",
  "again",
  "my",
  "friend",
  "weekend",
  "so",
  "it",
  "is",
];

/** Seeded tweet-like rows whose label is carried by a few sentiment words among filler. */
export function syntheticRows(n: number, seed: number): { label: 0 | 1; text: string }[] {
  const random = mulberry32(seed);
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)] as string;
  return Array.from({ length: n }, (_, i) => {
    const label = (i % 2) as 0 | 1;
    const words = Array.from({ length: 4 + Math.floor(random() * 6) }, () => pick(FILLER));
    for (let k = 0; k < 2; k++) {
      words.splice(Math.floor(random() * words.length), 0, pick(label === 1 ? POSITIVE : NEGATIVE));
    }
    return { label, text: words.join(" ") };
  });
}

/** The rows as a label,text CSV. */
export function toCsv(rows: readonly { label: 0 | 1 | string; text: string }[]): string {
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  return `label,text\n${rows.map((r) => `${r.label},${quote(r.text)}`).join("\n")}\n`;
}
