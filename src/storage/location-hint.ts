/**
 * Where a new call's Durable Object should live: the Durable Objects location hint nearest the
 * caller, from the `request.cf` Cloudflare attaches to every request (continent, country,
 * longitude). Only the first access of an object uses the hint; later turns go wherever it lives.
 * Hints: https://developers.cloudflare.com/durable-objects/reference/data-location/
 */
export type LocationHint = "wnam" | "enam" | "sam" | "weur" | "eeur" | "apac" | "oc" | "afr" | "me";

/** Countries of the Middle East region, which Cloudflare's continent codes put in Asia. */
const MIDDLE_EAST = new Set([
  "AE",
  "BH",
  "IQ",
  "IR",
  "JO",
  "KW",
  "LB",
  "OM",
  "PS",
  "QA",
  "SA",
  "SY",
  "TR",
  "YE",
  "CY",
  "EG",
]);
/**
 * Countries whose traffic reaches Europe faster than the Gulf, though Cloudflare's continent codes
 * put them in Asia: Israel Central to Poland Central is 61 ms, to UAE North 143 ms (Azure's
 * published round trips, https://learn.microsoft.com/en-us/azure/networking/azure-network-latency;
 * bench/placement-table.mjs).
 */
const NEAR_EASTERN_EUROPE = new Set(["IL"]);
/** Eastern Europe hint: east of roughly 20°E within Europe. */
const EASTERN_EUROPE_LONGITUDE = 20;
/** North America splits at -100°: Denver and west go to wnam; Dallas, Chicago and the east coast to enam. */
const WEST_NORTH_AMERICA_LONGITUDE = -100;

export interface CallerLocation {
  continent?: string | undefined;
  country?: string | undefined;
  longitude?: string | number | undefined;
}

export function locationHintFor(cf: CallerLocation | undefined): LocationHint | undefined {
  if (!cf?.continent) return undefined;
  const lon = cf.longitude === undefined ? Number.NaN : Number(cf.longitude);
  if (cf.country && NEAR_EASTERN_EUROPE.has(cf.country)) return "eeur";
  if (cf.country && MIDDLE_EAST.has(cf.country)) return "me";
  switch (cf.continent) {
    case "NA":
      return Number.isFinite(lon) && lon < WEST_NORTH_AMERICA_LONGITUDE ? "wnam" : "enam";
    case "SA":
      return "sam";
    case "EU":
      return Number.isFinite(lon) && lon > EASTERN_EUROPE_LONGITUDE ? "eeur" : "weur";
    case "AS":
      return "apac";
    case "OC":
      return "oc";
    case "AF":
      return "afr";
    default:
      return undefined;
  }
}
