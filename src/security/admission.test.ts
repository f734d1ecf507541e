import { beforeEach, describe, expect, it } from "vitest";
import {
  admitLocally,
  demand,
  leased,
  POOL_TTL_MS,
  resetAdmissionForTests,
  takeToken,
  tokensLeased,
  VERDICT_TTL_MS,
} from "./admission";

const key = { keyId: "k1", tenantId: "t1", scopes: [], residency: null };

describe("what an isolate admits alone", () => {
  beforeEach(() => resetAdmissionForTests());

  it("leases about a second of its own demand: one token for a request now and then, up to the cap", () => {
    const t0 = 1_000_000;
    expect(demand("t1", t0, 10)).toBe(1);
    expect(demand("t1", t0 + 3_000, 10)).toBe(1); // seconds apart: nothing would be left unused
    for (let i = 0; i < 6; i++) demand("t1", t0 + 6_000 + i, 10);
    expect(demand("t1", t0 + 6_500, 10)).toBe(7);
    expect(demand("t1", t0 + 7_100, 10)).toBe(8); // the second before still counts
    for (let i = 0; i < 20; i++) demand("t1", t0 + 7_200, 10);
    expect(demand("t1", t0 + 7_300, 10)).toBe(10);
  });

  it("admits while the key's verdict is fresh and a leased token is left, never after", () => {
    const t0 = 2_000_000;
    expect(admitLocally("k1", "t1", t0)).toBeUndefined(); // nothing leased yet
    leased(key, t0, 3, 1, t0); // a lease of 3: one for the request that waited, two left
    expect(admitLocally("k1", "t1", t0 + 10)).toEqual(key);
    expect(admitLocally("k1", "t1", t0 + 20)).toEqual(key);
    expect(admitLocally("k1", "t1", t0 + 30)).toBeUndefined(); // the pool is empty
    leased(key, t0 + 40, 5, 0, t0 + 40);
    expect(admitLocally("k1", "t1", t0 + 40 + VERDICT_TTL_MS)).toBeUndefined(); // the verdict is too old
    expect(admitLocally("k1", "t2", t0 + 50)).toBeUndefined(); // another tenant's pool
  });

  it("lets leased tokens lapse after POOL_TTL_MS", () => {
    const t0 = 3_000_000;
    tokensLeased("t1", 4, 1, t0);
    expect(takeToken("t1", t0 + 1)).toBe(true);
    expect(takeToken("t1", t0 + POOL_TTL_MS)).toBe(false);
  });
});
