/** A binary min-heap of (expiresAt, key): finds what expired next in O(log n). */
export class ExpiryQueue {
  private readonly times: number[] = [];
  private readonly keys: string[] = [];

  get size(): number {
    return this.times.length;
  }

  push(expiresAt: number, key: string): void {
    this.times.push(expiresAt);
    this.keys.push(key);
    let index = this.times.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.timeAt(parent) <= this.timeAt(index)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  /** The earliest expiry, or undefined when empty. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  /** Removes and returns the key with the earliest expiry. */
  pop(): string | undefined {
    const last = this.times.length - 1;
    if (last < 0) return undefined;
    const key = this.keys[0];
    this.swap(0, last);
    this.times.pop();
    this.keys.pop();
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.times.length && this.timeAt(left) < this.timeAt(smallest)) smallest = left;
      if (right < this.times.length && this.timeAt(right) < this.timeAt(smallest)) smallest = right;
      if (smallest === index) break;
      this.swap(index, smallest);
      index = smallest;
    }
    return key;
  }

  private timeAt(index: number): number {
    return this.times[index] ?? Number.POSITIVE_INFINITY;
  }

  private swap(a: number, b: number): void {
    const time = this.times[a] as number;
    this.times[a] = this.times[b] as number;
    this.times[b] = time;
    const key = this.keys[a] as string;
    this.keys[a] = this.keys[b] as string;
    this.keys[b] = key;
  }
}
