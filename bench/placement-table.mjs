// The inter-region round trips bench:placement (bench/placement.mjs) uses, from a published table:
//
//   Microsoft, "Azure network round-trip latency statistics"
//   https://learn.microsoft.com/en-us/azure/networking/azure-network-latency
//   (source: MicrosoftDocs/azure-docs, articles/networking/azure-network-latency.md; numbers taken from the
//   copy stored in the research library at mbender-ms/azure-docs@5b3e2055eddead4c24aac48156dad9f006268126,
//   dataset "taken on July 30, 2026, covering the 30-day period ending on July 30, 2026").
//
// What the figures are: the monthly 95th percentile (P95) of round trips between Azure regions, in ms,
// measured by Azure's probes every minute over its backbone. Rows are the source region, columns the
// destination (the table is not quite symmetric). Only the rows and columns the model needs are copied
// here, unchanged: the caller sites of bench/placement.mjs (rows) and the nine regions that stand for
// Cloudflare's Durable Objects location hints (columns).
//
// Why an Azure table for Cloudflare: Cloudflare publishes no table between the places its Durable Objects
// live. A Worker runs in the Cloudflare location nearest the caller, and an object lives in one data centre;
// the model takes each caller's location to be an Azure region's metro (the "caller site") and each
// location hint to be one Azure region's metro (HINT_REGION), so a Worker → object round trip is the
// table's figure between those two metros. Backbone figures between metros are a floor for the public
// Internet between the same cities, and P95 a mild ceiling for the typical round trip: the model uses
// the figure as is for every round trip (no jitter is added).

/** The Azure region standing for each Durable Objects location hint (an assumption: Cloudflare does not
 * say which of its data centres host each hint, so one central metro of the hint's area stands for it). */
export const HINT_REGION = {
  wnam: "West US", // California
  enam: "East US", // Virginia
  sam: "Brazil South", // São Paulo
  weur: "West Europe", // Amsterdam
  eeur: "Poland Central", // Warsaw, the table's only European region east of 20°E
  apac: "Southeast Asia", // Singapore
  oc: "Australia East", // Sydney
  afr: "South Africa North", // Johannesburg
  me: "UAE North", // Dubai
};

export const HINTS = Object.keys(HINT_REGION);

/**
 * A round trip between a caller and an object in the same metro. The table has no figure for a region to
 * itself (its diagonal is blank); its smallest figure, two regions in one metro (Australia Central →
 * Australia Central 2, Canberra), is 5 ms, and that stands for it.
 */
export const SAME_METRO_RTT_MS = 5;

// Columns, in HINTS order: West US, East US, Brazil South, West Europe, Poland Central, Southeast Asia,
// Australia East, South Africa North, UAE North. `null` is the table's blank diagonal (SAME_METRO_RTT_MS).
// prettier-ignore
const ROWS = {
  "Australia Central":    [147, 210, 302, 266, 271, 100,   10, 280, 180],
  "Australia East":       [141, 206, 298, 282, 300,  98, null, 347, 179],
  "Australia Southeast":  [152, 217, 310, 292, 307,  90,   17, 345, 172],
  "Brazil South":         [170, 121, null, 191, 211, 337, 298, 327, 293],
  "Canada Central":       [ 70,  21, 132,  92, 114, 226, 207, 236, 187],
  "Central India":        [224, 218, 320, 153, 169,  59, 152, 134,  35],
  "Central US":           [ 41,  35, 154, 118, 134, 201, 178, 253, 212],
  "East Asia":            [152, 208, 315, 279, 247,  41, 128, 272, 120],
  "East US":              [ 74, null, 119,  89, 104, 229, 207, 226, 190],
  "France Central":       [152,  90, 192,  15,  33, 176, 279, 165, 116],
  "Germany West Central": [157,  97, 199,  14,  26, 179, 290, 172, 122],
  "Indonesia Central":    [184, 241, 349, 182, 215,  19, 114, 199, 100],
  "Israel Central":       [186, 126, 228,  66,  61, 181, 272, 215, 143],
  "Italy North":          [167, 107, 206,  28,  31, 184, 285, 181, 115],
  "Japan East":           [109, 165, 275, 242, 260,  74, 105, 254, 155],
  "Korea Central":        [133, 192, 296, 267, 285,  71, 132, 250, 153],
  "Malaysia West":        [176, 234, 342, 186, 207,  11, 125, 191,  91],
  "Mexico Central":       [ 53,  66, 158, 145, 162, 221, 184, 271, 231],
  "New Zealand North":    [145, 200, 309, 273, 294, 126,  30, 335, 206],
  "Poland Central":       [168, 112, 212,  28, null, 201, 300, 199, 139],
  "Qatar Central":        [221, 165, 265,  94, 110,  99, 190, 115,  16],
  "South Africa North":   [278, 225, 326, 171, 198, 211, 348, null, 104],
  "South Africa West":    [262, 208, 309, 154, 173, 241, 341,  24, 125],
  "South Central US":     [ 44,  47, 142, 127, 145, 211, 172, 252, 228],
  "South India":          [203, 246, 334, 169, 181,  39, 134, 154,  55],
  "Southeast Asia":       [171, 229, 337, 181, 202, null,  98, 190,  90],
  "Spain Central":        [143,  84, 185,  30,  50, 227, 272, 152, 117],
  "Sweden Central":       [168, 108, 204,  31,  28, 206, 303, 200, 148],
  "UAE North":            [257, 191, 288, 124, 138,  87, 182, 105, null],
  "UK South":             [144,  80, 183,  12,  34, 183, 277, 169, 122],
  "West Europe":          [153,  91, 189, null,  28, 182, 282, 171, 123],
  "West US":              [null, 72, 171, 151, 167, 172, 142, 279, 249],
  "West US 2":            [ 25,  76, 179, 147, 167, 165, 179, 284, 255],
};

/** The round trip, in ms, from a caller site (an Azure region's name) to the object region of a hint. */
export function rttMs(site, hint) {
  const row = ROWS[site];
  const col = HINTS.indexOf(hint);
  if (!row || col < 0) throw new Error(`no round trip from ${site} to ${hint}`);
  return row[col] ?? SAME_METRO_RTT_MS;
}
