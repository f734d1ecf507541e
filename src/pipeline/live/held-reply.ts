import type { ReplyChannel } from "../types";

/**
 * The reply channel of an eager turn: a turn started on the provider's eager end of turn (Flux
 * EagerEndOfTurn), before the caller is known to be done. It runs the turn's understanding and
 * synthesis at once, but what it would send is held until the provider confirms the end of turn
 * (release), and the turn is not stored before then (runTurn awaits `confirmed`). When the caller
 * goes on (TurnResumed), drop() aborts it: nothing was sent, nothing is stored, and the turn that
 * follows takes the same turn id.
 */
export class HeldReply implements ReplyChannel {
  private held: (() => void)[] | null = [];
  private dropped = false;
  private readonly abort = new AbortController();
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private readonly confirmation: Promise<void>;

  constructor(private readonly live: ReplyChannel) {
    this.confirmation = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may be waiting yet when it is dropped.
    this.confirmation.catch(() => {});
  }

  get replyOptions() {
    return this.live.replyOptions;
  }

  /** The end of turn is confirmed: what was held goes out, in order, and the turn may be stored. */
  release(): void {
    const held = this.held;
    if (!held || this.dropped) return;
    this.held = null;
    for (const send of held) send();
    this.settle?.resolve();
  }

  /** The caller went on: the turn's work stops and it is not stored. */
  drop(): void {
    if (!this.held || this.dropped) return;
    this.dropped = true;
    this.held = null;
    const reason = new DOMException("The caller went on talking after an eager end of turn.", "AbortError");
    this.abort.abort(reason);
    this.settle?.reject(reason);
  }

  /** Whether the turn was dropped (its failure is expected and says nothing to the client). */
  get isDropped(): boolean {
    return this.dropped;
  }

  confirmed(): Promise<void> {
    return this.confirmation;
  }

  private out(send: () => void): void {
    if (this.dropped) return;
    if (this.held) this.held.push(send);
    else send();
  }

  understood(...args: Parameters<ReplyChannel["understood"]>): void {
    this.out(() => this.live.understood(...args));
  }

  progress(...args: Parameters<ReplyChannel["progress"]>): void {
    this.out(() => this.live.progress(...args));
  }

  audio(...args: Parameters<ReplyChannel["audio"]>): void {
    this.out(() => this.live.audio(...args));
  }

  replyDone(turnId: string): void {
    this.out(() => this.live.replyDone(turnId));
  }

  interrupted(turnId: string): boolean {
    return this.dropped || this.live.interrupted(turnId);
  }

  interruption(turnId: string): AbortSignal {
    return AbortSignal.any([this.abort.signal, this.live.interruption(turnId)]);
  }

  spokenText(turnId: string): string | undefined {
    return this.live.spokenText(turnId);
  }

  committed(turnId: string): void {
    this.live.committed(turnId);
  }
}
