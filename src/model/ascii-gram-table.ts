/**
 * Character n-gram ids looked up by number instead of by string. An ASCII n-gram of up to
 * MAX_ASCII_GRAM characters packs exactly into an integer below 2^53 (7 bits a character, 3 bits
 * of length), so a tweet's n-grams can be looked up straight from its character codes: no string
 * is cut, hashed or compared, and the key and the id share one cache line of an open-addressing
 * table (a Map of 300,000 strings costs about 270 ns a lookup for fresh strings, mostly cache
 * misses). Other n-grams stay in the vocabulary's string Map.
 */

/** Longest n-gram the table holds: 7 x 7 bits + 3 bits of length = 52 bits. */
export const MAX_ASCII_GRAM = 7;

/** The key of `text.slice(start, start + n)`, which must be ASCII and 1 to MAX_ASCII_GRAM long. */
export function asciiGramKey(text: string, start: number, n: number): number {
  let key = 0;
  for (let k = start; k < start + n; k++) key = key * 128 + text.charCodeAt(k);
  return key * 8 + n;
}

export function isAscii(text: string): boolean {
  return !/[\u0080-\uffff]/.test(text);
}

/** Whether the table holds `gram` (else it belongs in a string Map). */
export function isAsciiGram(gram: string): boolean {
  return gram.length >= 1 && gram.length <= MAX_ASCII_GRAM && isAscii(gram);
}

const EMPTY = -1;

export class AsciiGramTable {
  /** Slot s holds its key at 2s (EMPTY if free) and its id at 2s + 1. */
  readonly #slots: Float64Array;
  readonly #mask: number;

  /** `grams[k]` gets id `firstId + k`; grams that are not ASCII or too long are left out. */
  constructor(grams: readonly string[], firstId: number) {
    // One pass over the grams (300,000 for the shipped model): keys and ids of those it holds.
    const keys: number[] = [];
    const ids: number[] = [];
    grams.forEach((gram, k) => {
      if (!isAsciiGram(gram)) return;
      keys.push(asciiGramKey(gram, 0, gram.length));
      ids.push(firstId + k);
    });
    // At most two thirds full: probe sequences stay short and the shipped model's table is 8 MiB.
    let capacity = 16;
    while (capacity < keys.length * 1.5) capacity *= 2;
    this.#mask = capacity - 1;
    this.#slots = new Float64Array(capacity * 2).fill(EMPTY);
    keys.forEach((key, k) => {
      let slot = this.#home(key);
      // A repeated gram ends with its last id, as in a Map built from the same list.
      while (this.#slots[slot * 2] !== EMPTY && this.#slots[slot * 2] !== key) {
        slot = (slot + 1) & this.#mask;
      }
      this.#slots[slot * 2] = key;
      this.#slots[slot * 2 + 1] = ids[k] as number;
    });
  }

  /** The id of the gram with this key, or undefined. */
  idOf(key: number): number | undefined {
    const slots = this.#slots;
    for (let slot = this.#home(key); ; slot = (slot + 1) & this.#mask) {
      const stored = slots[slot * 2] as number;
      if (stored === key) return slots[slot * 2 + 1] as number;
      if (stored === EMPTY) return undefined;
    }
  }

  #home(key: number): number {
    // Mix both 32-bit halves (the low bits alone hold only the last characters).
    const low = key >>> 0;
    const high = (key / 4294967296) >>> 0;
    const mixed = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
    return (mixed ^ (mixed >>> 15)) & this.#mask;
  }
}
