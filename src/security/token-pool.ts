/**
 * Tokens of a tenant's request rate held away from its bucket: an isolate's (security/admission.ts)
 * or a regional shard's (durable/tenant-shard.ts). Tokens come in by lease from the level above,
 * already spent there, so holding them never lets a tenant past its rate; what is not used within
 * `ttlMs` lapses (the most a tenant can be under-served by). A pool also counts its own demand,
 * so a lease asks for about a second of it: a pool that sees a request now and then takes one
 * token at a time, a busy one up to the caller's cap.
 */
export class TokenPool {
  private tokens = 0;
  private until = 0;
  private second = 0;
  private thisSecond = 0;
  private lastSecond = 0;
  /** The lease in flight, if any: one at a time. */
  leasing: Promise<void> | undefined;

  constructor(private readonly ttlMs: number) {}

  /** Counts `n` tokens asked for and says how many a lease should bring: a second's demand, 1 to `max`. */
  demand(now: number, max: number, n = 1): number {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.lastSecond = second === this.second + 1 ? this.thisSecond : 0;
      this.thisSecond = 0;
      this.second = second;
    }
    this.thisSecond += n;
    return Math.max(1, Math.min(max, this.thisSecond + this.lastSecond));
  }

  /** Tokens usable now. */
  available(now: number): number {
    return this.until > now ? this.tokens : 0;
  }

  /** Takes up to `want` tokens; returns how many were taken. */
  take(want: number, now: number): number {
    const taken = Math.min(Math.floor(want), Math.floor(this.available(now)));
    if (taken > 0) this.tokens -= taken;
    return Math.max(0, taken);
  }

  /** A lease brought `granted` tokens, `spent` of them already used by whoever waited for it. */
  add(granted: number, spent: number, now: number): void {
    this.tokens = this.available(now) + granted - spent;
    this.until = now + this.ttlMs;
  }

  /** Runs `lease` as the pool's one lease in flight. */
  lease(run: () => Promise<void>): Promise<void> {
    const running = run().finally(() => {
      if (this.leasing === running) this.leasing = undefined;
    });
    this.leasing = running;
    return running;
  }
}
