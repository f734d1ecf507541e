/**
 * A retry budget, so that when a provider falls over, our retries do not multiply its load into a
 * retry storm. It is the AWS SDKs' "standard" retry quota
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): a bucket of 500
 * tokens; a retry takes 5 (10 after a timeout, which held a connection the whole time); a success
 * puts back what its retry took, or 1 when it needed none. Healthy traffic keeps the bucket full;
 * sustained failures drain it after about 100 retries, and from then on a failed call fails over
 * to the next provider instead of retrying, until successes refill it.
 *
 * Kept per provider-region per isolate (in the health registry), like the SDK's per-client quota:
 * one provider's outage must not use up the retries of another.
 */

export interface RetryBudgetOptions {
  capacity: number;
  retryCost: number;
  timeoutRetryCost: number;
  /** Returned on a success that needed no retry. */
  successRefund: number;
}

export const RETRY_BUDGET_DEFAULTS: RetryBudgetOptions = {
  capacity: 500,
  retryCost: 5,
  timeoutRetryCost: 10,
  successRefund: 1,
};

export class RetryBudget {
  readonly options: RetryBudgetOptions;
  private available: number;

  constructor(options: Partial<RetryBudgetOptions> = {}) {
    this.options = { ...RETRY_BUDGET_DEFAULTS, ...options };
    this.available = this.options.capacity;
  }

  get tokens(): number {
    return this.available;
  }

  /** Takes the cost of one retry; the cost taken (to refund on success), or 0 when the budget is empty. */
  tryAcquire(kind: "error" | "timeout"): number {
    const cost = kind === "timeout" ? this.options.timeoutRetryCost : this.options.retryCost;
    if (this.available < cost) return 0;
    this.available -= cost;
    return cost;
  }

  /** A success: refunds the cost of the retry that led to it, or successRefund when there was none. */
  onSuccess(retryCost = 0): void {
    this.available = Math.min(
      this.options.capacity,
      this.available + (retryCost > 0 ? retryCost : this.options.successRefund),
    );
  }
}
