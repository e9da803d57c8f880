/** Deterministic tweet-like texts for request bodies, so every run sends the same load. */

const OPENERS = [
  "just watched",
  "can't believe",
  "so tired of",
  "really loving",
  "not sure about",
  "finally got",
  "why is",
  "happy with",
  "disappointed by",
  "thinking about",
];
const SUBJECTS = [
  "the new phone",
  "this weather",
  "my morning coffee",
  "the game last night",
  "monday meetings",
  "the train delays",
  "that movie",
  "my new job",
  "the concert",
  "this song",
];
const CLOSERS = [
  "!!",
  " :)",
  " :(",
  " #fail",
  " lol",
  " ugh",
  " <3",
  "...",
  " #blessed",
  " @friend",
];

/** `count` texts of 20-60 characters, the same on every run. */
export function sampleTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const opener = OPENERS[i % OPENERS.length];
    const subject = SUBJECTS[Math.floor(i / OPENERS.length) % SUBJECTS.length];
    const closer = CLOSERS[(i * 7) % CLOSERS.length];
    return `${opener} ${subject}${closer}`;
  });
}
