import { describe, expect, it } from "vitest";
import { catalogFor } from "./regions";
import { greatCircleKm, rankRegions, type Candidate, type RegionHealthView } from "./select";

const FRANKFURT = { lat: 50.11, lon: 8.68 };
const TOKYO = { lat: 35.68, lon: 139.69 };
const VIRGINIA = { lat: 38.95, lon: -77.45 };

// A fixed subset, so these tests keep their meaning as the catalog grows (order.test.ts covers it all).
const SIX_POLLY_REGIONS = new Set([
  "us-east-1",
  "us-west-2",
  "eu-central-1",
  "eu-west-1",
  "ap-northeast-1",
  "ap-southeast-2",
]);
const polly = catalogFor("polly")
  .filter((r) => SIX_POLLY_REGIONS.has(r.region))
  .map((r): Candidate => ({ ...r, preference: 0 }));
const local: Candidate = { ...catalogFor("local")[0]!, preference: 1 };
const healthy = (): RegionHealthView => ({ state: "closed", inFlight: 0, capacity: 32 });

describe("great-circle distance", () => {
  it("matches known city distances within 1%", () => {
    expect(greatCircleKm(FRANKFURT.lat, FRANKFURT.lon, TOKYO.lat, TOKYO.lon)).toBeCloseTo(9350, -2);
    expect(greatCircleKm(VIRGINIA.lat, VIRGINIA.lon, FRANKFURT.lat, FRANKFURT.lon)).toBeCloseTo(6560, -2);
  });
});

describe("rankRegions", () => {
  it("sends Frankfurt to an EU region, Tokyo to Asia-Pacific and Virginia to US-East", () => {
    expect(rankRegions(polly, FRANKFURT, healthy)[0]?.region).toBe("eu-central-1");
    expect(rankRegions(polly, TOKYO, healthy)[0]?.region).toBe("ap-northeast-1");
    expect(rankRegions(polly, VIRGINIA, healthy)[0]?.region).toBe("us-east-1");
  });

  it("skips open breakers and tries half-open regions last", () => {
    const health = (c: Candidate): RegionHealthView => ({
      ...healthy(),
      state: c.region === "eu-central-1" ? "open" : c.region === "eu-west-1" ? "half_open" : "closed",
    });
    const ranked = rankRegions(polly, FRANKFURT, health).map((r) => r.region);
    expect(ranked).not.toContain("eu-central-1");
    expect(ranked.at(-1)).toBe("eu-west-1");
  });

  it("lets measured latency and load outweigh distance", () => {
    const slowNear = (c: Candidate): RegionHealthView => ({
      ...healthy(),
      latencyMs: c.region === "eu-central-1" ? 3000 : 300,
    });
    expect(rankRegions(polly, FRANKFURT, slowNear)[0]?.region).toBe("eu-west-1");
    const busyNear = (c: Candidate): RegionHealthView => ({
      ...healthy(),
      inFlight: c.region === "eu-central-1" ? 31 : 0,
    });
    expect(rankRegions(polly, FRANKFURT, busyNear)[0]?.region).toBe("eu-west-1");
  });

  it("keeps an EU-resident call in EU regions, even a far-away caller's", () => {
    const ranked = rankRegions(polly, TOKYO, healthy, { residency: "eu" });
    expect(ranked.map((r) => r.zone)).toEqual(["eu", "eu"]);
    const allEuOpen = (c: Candidate): RegionHealthView => ({
      ...healthy(),
      state: c.zone === "eu" ? "open" : "closed",
    });
    expect(rankRegions(polly, FRANKFURT, allEuOpen, { residency: "eu" })).toEqual([]);
  });

  it("lets the in-process engine through any residency, and nothing else outside the zone", () => {
    expect(rankRegions([...polly, local], TOKYO, healthy, { residency: "eu" }).map((r) => r.region)).toEqual([
      "eu-central-1",
      "eu-west-1",
      "edge",
    ]);
    expect(rankRegions([...polly, local], TOKYO, healthy, { residency: "us" }).map((r) => r.region)).toEqual([
      "us-west-2",
      "us-east-1",
      "edge",
    ]);
    expect(rankRegions([local], FRANKFURT, healthy, { residency: "eu" }).map((r) => r.zone)).toEqual(["edge"]);
  });

  it("prefers the heavier of two otherwise equal regions", () => {
    const twins: Candidate[] = [
      { provider: "a", region: "light", zone: "eu", ...FRANKFURT, preference: 0 },
      { provider: "a", region: "heavy", zone: "eu", ...FRANKFURT, weight: 2, preference: 0 },
    ];
    expect(rankRegions(twins, VIRGINIA, healthy).map((r) => r.region)).toEqual(["heavy", "light"]);
  });

  it("follows the configured preference when nothing else separates providers", () => {
    const both = [
      { ...catalogFor("azure").find((r) => r.region === "westeurope")!, preference: 1 },
      { ...catalogFor("deepgram").find((r) => r.region === "eu")!, preference: 0 },
    ];
    expect(rankRegions(both, {}, healthy).map((r) => r.provider)).toEqual(["deepgram", "azure"]);
  });
});
