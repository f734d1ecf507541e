import { describe, expect, it } from "vitest";
import { locationHintFor } from "./location-hint";

describe("locationHintFor", () => {
  it.each([
    [{ continent: "EU", country: "DE", longitude: "8.68" }, "weur"], // Frankfurt
    [{ continent: "EU", country: "PL", longitude: "21.01" }, "eeur"], // Warsaw
    [{ continent: "NA", country: "US", longitude: "-77.5" }, "enam"], // Virginia
    [{ continent: "NA", country: "US", longitude: "-122.4" }, "wnam"], // San Francisco
    [{ continent: "AS", country: "JP", longitude: "139.69" }, "apac"], // Tokyo
    [{ continent: "AS", country: "AE", longitude: "55.3" }, "me"], // Dubai
    [{ continent: "AS", country: "IL", longitude: "34.8" }, "eeur"], // Tel Aviv: 61 ms to Warsaw, 143 to Dubai
    [{ continent: "OC", country: "AU", longitude: "151.2" }, "oc"],
    [{ continent: "SA", country: "BR", longitude: "-46.6" }, "sam"],
    [{ continent: "AF", country: "ZA", longitude: "18.4" }, "afr"],
  ] as const)("places a caller at %o in %s", (cf, hint) => {
    expect(locationHintFor(cf)).toBe(hint);
  });

  it("gives no hint without a continent (local development, tests)", () => {
    expect(locationHintFor(undefined)).toBeUndefined();
    expect(locationHintFor({ continent: "T1" })).toBeUndefined();
  });
});
