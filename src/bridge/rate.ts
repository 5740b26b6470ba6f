/**
 * The bridge's per-connection message rate limit: a token bucket holding up to one second of
 * messages (`rate`), refilled continuously at `rate` per second. Each protocol message a client
 * sends takes a token; a call that finds the bucket empty is refused (see server.ts).
 *
 * @module
 */

/** A token bucket of `rate` messages per second, bursts up to `rate`. */
export class MessageRate {
  private tokens: number;
  private last: number;

  /**
   * @param rate Messages per second (`Infinity`: no limit).
   * @param now Clock in ms (tests).
   */
  constructor(
    readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = rate;
    this.last = now();
  }

  /** Takes a token for one message; false when none is left (the message is over the rate). */
  take(): boolean {
    if (this.rate === Number.POSITIVE_INFINITY) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Counts a message that is never refused (keepalive, stream data): it takes a token even when
   * none is left, down to one second's worth of debt, so such traffic delays the next calls.
   */
  charge(): void {
    if (this.rate === Number.POSITIVE_INFINITY) return;
    this.refill();
    this.tokens = Math.max(-this.rate, this.tokens - 1);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
  }
}
