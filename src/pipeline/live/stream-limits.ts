/**
 * What one live stream may ask of its call, on top of the tenant's request rate that each of its
 * turns takes a token from (call-streams.ts): at most MAX_PENDING_TURNS turns waiting or running,
 * and control messages at CONTROL_RULE. Caller audio is not counted here: its frames are bounded
 * in size and paced by the caller's speech, and the turns they make take tenant tokens.
 */
import { RequestBucket } from "../../security/request-bucket";
import type { RequestRule } from "../../security/tenant-limits";

/** A problem sent on the stream as an `error` message (RFC 9457 fields, and a retry hint when waiting helps). */
export interface StreamProblem {
  status: number;
  code: string;
  detail: string;
  retryAfterMs?: number;
}

/** Turns one socket may have waiting or running; more is a client flooding the call. */
export const MAX_PENDING_TURNS = 4;

/**
 * Control messages (ours: `start`, `text`, `dtmf` and anything unparseable; Twilio's: every event
 * but `media`, `mark` and `stop`) one stream may send: 10 a second, 20 at once. A person types or
 * presses keys far slower; a client over it is flooding, and `stop` is never refused.
 */
export const CONTROL_RULE: RequestRule = { perMinute: 600, burst: 20 };

/** A refused message is answered at most this often, so a flood is not mirrored back one for one. */
const REPORT_EVERY_MS = 1000;

export class StreamLimits {
  private pending = 0;
  private readonly control = new RequestBucket();
  private reportedAt = Number.NEGATIVE_INFINITY;

  /** A turn about to be queued: undefined when it may be, else the problem to answer. */
  beginTurn(): StreamProblem | undefined {
    if (this.pending >= MAX_PENDING_TURNS) {
      return {
        status: 429,
        code: "rate_limited",
        detail:
          `This stream already has ${MAX_PENDING_TURNS} turns waiting; ` +
          "wait for their replies before sending more.",
      };
    }
    this.pending++;
    return undefined;
  }

  endTurn(): void {
    this.pending--;
  }

  /**
   * One control message at `now` (ms): "ok"; else the problem to answer, or "drop" when one was
   * answered within the last second.
   */
  controlMessage(now: number): "ok" | "drop" | StreamProblem {
    const verdict = this.control.take(CONTROL_RULE, now);
    if (verdict.ok) return "ok";
    if (now - this.reportedAt < REPORT_EVERY_MS) return "drop";
    this.reportedAt = now;
    return {
      status: 429,
      code: "rate_limited",
      detail:
        `This stream is over its limit of ${CONTROL_RULE.perMinute / 60} control messages a second ` +
        `(${CONTROL_RULE.burst} at once); the message was dropped. Retry after ${verdict.retryAfterSeconds} s.`,
      retryAfterMs: verdict.retryAfterSeconds * 1000,
    };
  }
}
