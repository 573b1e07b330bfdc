// A token bucket for the controller's actions-per-second limit: `rate` tokens per second, bursts of up
// to `rate` (at least 1); time comes from the caller's clock in microseconds.

export class TokenBucket {
  private tokens: number;
  private last: number | null = null;
  private readonly capacity: number;

  constructor(
    private readonly rate: number,
    capacity?: number,
  ) {
    if (!(rate > 0)) throw new Error(`token bucket rate must be > 0, got ${rate}`);
    this.capacity = Math.max(1, capacity ?? rate);
    this.tokens = this.capacity;
  }

  /** Takes one token at time `nowUs`; false when none is left. */
  take(nowUs: number): boolean {
    if (this.last !== null && nowUs > this.last) this.tokens = Math.min(this.capacity, this.tokens + ((nowUs - this.last) / 1e6) * this.rate);
    if (this.last === null || nowUs > this.last) this.last = nowUs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
