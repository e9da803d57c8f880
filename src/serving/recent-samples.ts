/** Keeps the last `capacity` numeric samples (e.g. durations) plus an all-time count and sum. */
export class RecentSamples {
  private readonly values: number[] = [];
  private next = 0;
  count = 0;
  sum = 0;

  constructor(private readonly capacity = 1024) {}

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (this.values.length < this.capacity) {
      this.values.push(value);
    } else {
      this.values[this.next] = value;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  /** The retained samples, oldest first. */
  recent(): number[] {
    return [...this.values.slice(this.next), ...this.values.slice(0, this.next)];
  }

  snapshot(): { count: number; sum: number; recent: number[] } {
    return { count: this.count, sum: this.sum, recent: this.recent() };
  }
}
