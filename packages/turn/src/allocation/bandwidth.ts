/**
 * A byte token bucket (per allocation, per direction): `bytesPerSecond` sustained with a burst
 * of one second's worth (at least 64 KiB). 0 means unlimited. Pure: time is passed in.
 */
export class ByteBucket {
  private tokens: number;
  private at: number | undefined;
  private readonly burst: number;

  constructor(private readonly bytesPerSecond: number) {
    this.burst = Math.max(bytesPerSecond, 65_536);
    this.tokens = this.burst;
  }

  /** Takes `n` bytes at `now` (ms); false when over the rate (the packet is dropped). */
  take(n: number, now: number): boolean {
    if (this.bytesPerSecond <= 0) return true;
    if (this.at !== undefined) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.bytesPerSecond);
    this.at = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}
