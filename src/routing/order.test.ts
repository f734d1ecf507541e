import { describe, expect, it } from "vitest";
import { DEFAULT_CAPACITY, HealthRegistry } from "./health-registry";
import { callerPosition, orderForCaller, type CallerCf } from "./order";
import { catalogFor, findRegion, REGION_CATALOG, type RegionInfo } from "./regions";

/** `request.cf` as Cloudflare sends it: coordinates are strings. */
const CF = {
  frankfurt: { latitude: "50.11", longitude: "8.68", continent: "EU", country: "DE" },
  london: { latitude: "51.51", longitude: "-0.13", continent: "EU", country: "GB" },
  warsaw: { latitude: "52.23", longitude: "21.01", continent: "EU", country: "PL" },
  virginia: { latitude: "38.95", longitude: "-77.45", continent: "NA", country: "US" },
  seattle: { latitude: "47.61", longitude: "-122.33", continent: "NA", country: "US" },
  saoPaulo: { latitude: "-23.55", longitude: "-46.63", continent: "SA", country: "BR" },
  tokyo: { latitude: "35.68", longitude: "139.69", continent: "AS", country: "JP" },
  singapore: { latitude: "1.35", longitude: "103.82", continent: "AS", country: "SG" },
  sydney: { latitude: "-33.87", longitude: "151.21", continent: "OC", country: "AU" },
  johannesburg: { latitude: "-26.20", longitude: "28.05", continent: "AF", country: "ZA" },
  cairo: { latitude: "30.04", longitude: "31.24", continent: "AF", country: "EG" },
  dubai: { latitude: "25.20", longitude: "55.27", continent: "AS", country: "AE" },
  mumbai: { latitude: "19.08", longitude: "72.88", continent: "AS", country: "IN" },
} satisfies Record<string, CallerCf & { continent: string; country: string }>;
type City = keyof typeof CF;

interface Engine {
  name: string;
  region: string;
}
const engine = (id: string): Engine => {
  const [name, region] = id.split("@") as [string, string];
  return { name, region };
};
const ids = (engines: readonly Engine[]) => engines.map((e) => `${e.name}@${e.region}`);
const zoneOf = (e: Engine) => findRegion(REGION_CATALOG, e.name, e.region)?.zone;

/** A TTS chain "azure,polly,local" deployed in every catalog region of both clouds. */
const EVERYWHERE = [...catalogFor("azure"), ...catalogFor("polly"), ...catalogFor("local")].map((r) =>
  engine(`${r.provider}@${r.region}`),
);
/** A smaller TTS chain "azure,polly,workers-ai,local", small enough to assert every fallback. */
const FEW = [
  "azure@eastus",
  "azure@westeurope",
  "azure@swedencentral",
  "azure@southeastasia",
  "azure@brazilsouth",
  "polly@us-west-2",
  "polly@eu-central-1",
  "polly@ap-southeast-2",
  "polly@af-south-1",
  "workers-ai@global",
  "local@edge",
].map(engine);

const order = (chain: readonly Engine[], city: City, residency?: "eu") =>
  ids(orderForCaller(chain, callerPosition(CF[city]), { residency, registry: new HealthRegistry() }));

describe("orderForCaller on every continent (all Azure and Polly regions, then the local engine)", () => {
  // Expected: the nearest regions of the preferred provider (Azure) first. With residency "eu", the
  // nearest EU members: the UK, Switzerland, Norway, Qatar... are gone (Dublin for the US East coast,
  // Gävle over the pole for Seattle and Tokyo, Milan for Africa and the Gulf).
  it.each<[City, string[], string[]]>([
    [
      "frankfurt",
      ["azure@germanywestcentral", "azure@switzerlandnorth", "azure@westeurope"],
      ["azure@germanywestcentral", "azure@westeurope", "azure@francecentral"],
    ],
    [
      "london",
      ["azure@uksouth", "azure@ukwest", "azure@francecentral"],
      ["azure@francecentral", "azure@westeurope", "azure@northeurope"],
    ],
    [
      "warsaw",
      ["azure@germanywestcentral", "azure@swedencentral", "azure@switzerlandnorth"],
      ["azure@germanywestcentral", "azure@swedencentral", "azure@westeurope"],
    ],
    [
      "virginia",
      ["azure@eastus", "azure@eastus2", "azure@canadacentral"],
      ["azure@northeurope", "azure@francecentral", "azure@westeurope"],
    ],
    [
      "seattle",
      ["azure@westus2", "azure@westus", "azure@westcentralus"],
      ["azure@northeurope", "azure@swedencentral", "azure@westeurope"],
    ],
    [
      "saoPaulo",
      ["azure@brazilsouth", "polly@sa-east-1", "azure@southafricanorth"],
      ["azure@northeurope", "azure@francecentral", "azure@italynorth"],
    ],
    [
      "tokyo",
      ["azure@japaneast", "azure@japanwest", "azure@koreacentral"],
      ["azure@swedencentral", "azure@westeurope", "azure@germanywestcentral"],
    ],
    [
      "singapore",
      ["azure@southeastasia", "azure@eastasia", "azure@centralindia"],
      ["azure@swedencentral", "azure@germanywestcentral", "azure@italynorth"],
    ],
    [
      "sydney",
      ["azure@australiaeast", "polly@ap-southeast-2", "azure@southeastasia"],
      ["azure@swedencentral", "azure@germanywestcentral", "azure@italynorth"],
    ],
    [
      "johannesburg",
      ["azure@southafricanorth", "polly@af-south-1", "azure@qatarcentral"],
      ["azure@italynorth", "azure@germanywestcentral", "azure@francecentral"],
    ],
    [
      "cairo",
      ["azure@qatarcentral", "azure@uaenorth", "azure@italynorth"],
      ["azure@italynorth", "azure@germanywestcentral", "azure@francecentral"],
    ],
    [
      "dubai",
      ["azure@uaenorth", "azure@qatarcentral", "azure@centralindia"],
      ["azure@italynorth", "azure@germanywestcentral", "azure@swedencentral"],
    ],
    [
      "mumbai",
      ["azure@centralindia", "azure@uaenorth", "azure@qatarcentral"],
      ["azure@swedencentral", "azure@italynorth", "azure@germanywestcentral"],
    ],
  ])("%s: %j first; with residency eu %j", (city, firstThree, firstThreeEu) => {
    const all = order(EVERYWHERE, city);
    expect(all.slice(0, 3)).toEqual(firstThree);
    expect([...all].sort()).toEqual(ids(EVERYWHERE).sort()); // a reordering: nothing dropped without residency
    expect(all.at(-1)).toBe("local@edge"); // last in the configured order and distance-neutral

    const eu = order(EVERYWHERE, city, "eu");
    expect(eu.slice(0, 3)).toEqual(firstThreeEu);
    expect(eu.map((id) => zoneOf(engine(id)))).toEqual([...Array<string>(eu.length - 1).fill("eu"), "edge"]);
    // Exactly the chain's EU regions plus the in-process engine, the local engine still last.
    expect([...eu].sort()).toEqual(ids(EVERYWHERE.filter((e) => zoneOf(e) === "eu" || e.name === "local")).sort());
    expect(eu.at(-1)).toBe("local@edge");
  });
});

describe("orderForCaller: every fallback, with and without residency", () => {
  // The configured order counts (150 ms per position, ~5,000 km): Azure's regions come before
  // Polly's unless Polly's are a continent nearer (Sydney, Johannesburg: Polly's local region first).
  it.each<[City, string, string]>([
    [
      "frankfurt",
      "westeurope swedencentral eu-central-1 eastus brazilsouth southeastasia us-west-2 af-south-1 ap-southeast-2",
      "westeurope swedencentral eu-central-1",
    ],
    [
      "london",
      "westeurope swedencentral eu-central-1 eastus brazilsouth southeastasia us-west-2 af-south-1 ap-southeast-2",
      "westeurope swedencentral eu-central-1",
    ],
    [
      "warsaw",
      "swedencentral westeurope eu-central-1 eastus southeastasia brazilsouth us-west-2 af-south-1 ap-southeast-2",
      "swedencentral westeurope eu-central-1",
    ],
    [
      "virginia",
      "eastus westeurope swedencentral brazilsouth us-west-2 eu-central-1 southeastasia af-south-1 ap-southeast-2",
      "westeurope swedencentral eu-central-1",
    ],
    [
      "seattle",
      "eastus us-west-2 swedencentral westeurope brazilsouth southeastasia eu-central-1 ap-southeast-2 af-south-1",
      "swedencentral westeurope eu-central-1",
    ],
    [
      "saoPaulo",
      "brazilsouth eastus westeurope swedencentral af-south-1 eu-central-1 us-west-2 southeastasia ap-southeast-2",
      "westeurope swedencentral eu-central-1",
    ],
    [
      "tokyo",
      "southeastasia swedencentral westeurope eastus ap-southeast-2 us-west-2 eu-central-1 brazilsouth af-south-1",
      "swedencentral westeurope eu-central-1",
    ],
    [
      "singapore",
      "southeastasia swedencentral westeurope ap-southeast-2 af-south-1 eu-central-1 eastus brazilsouth us-west-2",
      "swedencentral westeurope eu-central-1",
    ],
    [
      "sydney",
      "ap-southeast-2 southeastasia brazilsouth eastus swedencentral af-south-1 westeurope us-west-2 eu-central-1",
      "swedencentral westeurope eu-central-1",
    ],
    [
      "johannesburg",
      "af-south-1 brazilsouth southeastasia westeurope swedencentral eastus eu-central-1 ap-southeast-2 us-west-2",
      "westeurope swedencentral eu-central-1",
    ],
    [
      "cairo",
      "westeurope swedencentral eu-central-1 southeastasia eastus brazilsouth af-south-1 us-west-2 ap-southeast-2",
      "westeurope swedencentral eu-central-1",
    ],
    [
      "dubai",
      "swedencentral westeurope southeastasia eu-central-1 eastus brazilsouth af-south-1 ap-southeast-2 us-west-2",
      "swedencentral westeurope eu-central-1",
    ],
    [
      "mumbai",
      "southeastasia swedencentral westeurope eu-central-1 eastus af-south-1 brazilsouth ap-southeast-2 us-west-2",
      "swedencentral westeurope eu-central-1",
    ],
  ])("%s: %s", (city, expected, expectedEu) => {
    // Region ids in order; Workers AI and the local engine (no location: no proximity) end the list.
    const regions = (s: string) => s.split(" ");
    expect(order(FEW, city).map((id) => engine(id).region)).toEqual([...regions(expected), "global", "edge"]);
    // Workers AI has no residency guarantee: gone with "eu"; the in-process engine stays.
    expect(order(FEW, city, "eu").map((id) => engine(id).region)).toEqual([...regions(expectedEu), "edge"]);
  });

  it("leaves nothing for an EU-resident call when no configured region is in the EU", () => {
    const nonEu = [
      "azure@eastus",
      "azure@uksouth",
      "azure@switzerlandnorth",
      "polly@eu-west-2",
      "google@global",
      "deepgram@global",
      "workers-ai@global",
    ].map(engine);
    for (const city of Object.keys(CF) as City[]) expect(order(nonEu, city, "eu")).toEqual([]);
    expect(order([engine("azure@eastus")], "frankfurt", "eu")).toEqual([]); // a single engine is checked too
    // A region the catalog does not know has no known residency: never EU.
    expect(order([engine("openai@api.openai.com"), engine("deepgram@localhost:8080")], "frankfurt", "eu")).toEqual([]);
    // The in-process engine alone is still allowed.
    expect(order([...nonEu, engine("local@edge")], "tokyo", "eu")).toEqual(["local@edge"]);
  });

  it("keeps open breakers, last, and a lone engine as it is", () => {
    const registry = new HealthRegistry();
    registry.get("azure", "westeurope").breaker.onAuthFailure();
    const ranked = ids(orderForCaller(FEW, callerPosition(CF.frankfurt), { registry }));
    expect(ranked[0]).toBe("azure@swedencentral");
    expect(ranked.at(-1)).toBe("azure@westeurope");
    expect(orderForCaller([engine("azure@eastus")], callerPosition(CF.frankfurt))).toEqual([engine("azure@eastus")]);
  });

  it("ranks by the given catalog", () => {
    // Move "westeurope" to Sydney: now the nearest Azure region for a Sydney caller.
    const catalog: RegionInfo[] = REGION_CATALOG.map((r) =>
      r.provider === "azure" && r.region === "westeurope" ? { ...r, lat: -33.9, lon: 151.2 } : r,
    );
    const ranked = orderForCaller(FEW, callerPosition(CF.sydney), { catalog, registry: new HealthRegistry() });
    expect(ids(ranked)[0]).toBe("azure@westeurope");
  });
});

describe("callerPosition", () => {
  it("reads cf coordinates, as strings or numbers, and nothing else", () => {
    expect(callerPosition(CF.saoPaulo)).toEqual({ lat: -23.55, lon: -46.63 });
    expect(callerPosition({ latitude: 35.68, longitude: 139.69 })).toEqual({ lat: 35.68, lon: 139.69 });
    expect(callerPosition(undefined)).toEqual({});
    expect(callerPosition({ latitude: "50.11" })).toEqual({});
    // A blank or impossible value is no position (a blank is not the Gulf of Guinea at 0°).
    expect(callerPosition({ latitude: "", longitude: "8.68" })).toEqual({});
    expect(callerPosition({ latitude: "north", longitude: "8.68" })).toEqual({});
    expect(callerPosition({ latitude: "95", longitude: "8.68" })).toEqual({});
    expect(callerPosition({ latitude: "50.11", longitude: "-181" })).toEqual({});
  });

  it("without a position, keeps the configured order", () => {
    const chain = ["azure@southeastasia", "azure@westeurope", "polly@eu-central-1", "local@edge"].map(engine);
    expect(ids(orderForCaller(chain, callerPosition(undefined), { registry: new HealthRegistry() }))).toEqual(
      ids(chain),
    );
  });
});

describe("per-region capacity from the catalog", () => {
  const catalog: RegionInfo[] = REGION_CATALOG.map((r) =>
    r.provider === "polly" && r.region === "eu-central-1" ? { ...r, capacity: 4 } : r,
  );
  const chain = ["polly@eu-central-1", "polly@eu-west-1"].map(engine);

  it("becomes the region's admission limit in the registry, the others keeping the default", () => {
    const registry = new HealthRegistry();
    orderForCaller(chain, callerPosition(CF.frankfurt), { catalog, registry });
    expect(registry.get("polly", "eu-central-1").capacity).toBe(4);
    expect(registry.get("polly", "eu-west-1").capacity).toBe(DEFAULT_CAPACITY);
    // The registry-wide setting leaves the region's own limit alone.
    registry.setCapacity(8);
    expect(registry.get("polly", "eu-central-1").capacity).toBe(4);
    expect(registry.get("polly", "eu-west-1").capacity).toBe(8);
    // A catalog without the limit returns the region to the registry-wide one.
    orderForCaller(chain, callerPosition(CF.frankfurt), { registry });
    expect(registry.get("polly", "eu-central-1").capacity).toBe(8);
  });

  it("applies before the first call, even to a lone engine", () => {
    const registry = new HealthRegistry();
    orderForCaller([engine("polly@eu-central-1")], {}, { catalog, registry });
    expect(registry.snapshot()).toEqual([]); // no entry created just for the limit...
    expect(registry.get("polly", "eu-central-1").capacity).toBe(4); // ...which the entry gets when created
  });

  it("counts in the ranking: a small region fills up sooner", () => {
    const registry = new HealthRegistry();
    const nearAndFar = ["polly@eu-central-1", "polly@us-east-1"].map(engine);
    registry.get("polly", "eu-central-1").inFlight = 3;
    // 3 of 32 in flight: Frankfurt still goes to Frankfurt; 3 of 4: Virginia answers sooner.
    expect(ids(orderForCaller(nearAndFar, callerPosition(CF.frankfurt), { registry }))[0]).toBe("polly@eu-central-1");
    expect(ids(orderForCaller(nearAndFar, callerPosition(CF.frankfurt), { catalog, registry }))[0]).toBe(
      "polly@us-east-1",
    );
  });
});
