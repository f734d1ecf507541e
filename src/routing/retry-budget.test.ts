import { describe, expect, it } from "vitest";
import { RETRY_BUDGET_DEFAULTS, RetryBudget } from "./retry-budget";

describe("RetryBudget (the AWS SDK standard retry quota)", () => {
  it("starts full with the SDK's numbers", () => {
    expect(RETRY_BUDGET_DEFAULTS).toEqual({ capacity: 500, retryCost: 5, timeoutRetryCost: 10, successRefund: 1 });
    expect(new RetryBudget().tokens).toBe(500);
  });

  it("charges 5 per retry and 10 per retry after a timeout", () => {
    const b = new RetryBudget();
    expect(b.tryAcquire("error")).toBe(5);
    expect(b.tryAcquire("timeout")).toBe(10);
    expect(b.tokens).toBe(485);
  });

  it("drains: 100 retries empty it, then there is no retry", () => {
    const b = new RetryBudget();
    for (let i = 0; i < 100; i++) expect(b.tryAcquire("error")).toBe(5);
    expect(b.tokens).toBe(0);
    expect(b.tryAcquire("error")).toBe(0);
    expect(b.tryAcquire("timeout")).toBe(0);
  });

  it("refuses a timeout retry it cannot pay for in full", () => {
    const b = new RetryBudget({ capacity: 12 });
    expect(b.tryAcquire("timeout")).toBe(10);
    expect(b.tryAcquire("timeout")).toBe(0);
    expect(b.tryAcquire("error")).toBe(0);
    expect(b.tokens).toBe(2);
  });

  it("refunds 1 per first-try success and the retry's cost on a success after a retry, never above capacity", () => {
    const b = new RetryBudget();
    for (let i = 0; i < 100; i++) b.tryAcquire("error");
    b.onSuccess();
    expect(b.tokens).toBe(1);
    b.onSuccess(5);
    expect(b.tokens).toBe(6);
    expect(b.tryAcquire("error")).toBe(5); // refilled enough for one retry
    const full = new RetryBudget();
    full.onSuccess();
    full.onSuccess(10);
    expect(full.tokens).toBe(500);
  });
});
