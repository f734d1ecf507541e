// bench:placement — where a turn's tenant-wide checks live, before and after issue 19's design (item 2).
// A MODEL, not a measurement: it replays one day of a tenant's traffic from callers on six continents
// against a published table of inter-region round trips (bench/placement-table.mjs, which cites it) and
// prints, per continent, the round trips a turn's synchronous path adds, and the highest requests/s any
// one Durable Object sees, for a tenant peaking at 100, 2,000 and 10,000 requests/s. The local benches
// (npm run bench, bench:stream) measure the code; this measures nothing.
//
// BEFORE (today: src/http/middleware/auth.ts, src/durable/tenant-limits.ts): every authenticated request
// (a turn, or a message on a live stream) makes one `authorize` RPC to the tenant's one TenantLimits
// object, which lives where the tenant's first caller was (`--home`), then reaches the call's own object,
// created near the caller (src/storage/location-hint.ts). A turn adds
//   Worker → TenantLimits + Worker → call object.
// Call creation also makes `acquireCall`, and the call's end `releaseCall`, on the same object, which so
// sees every request of the tenant.
//
// AFTER (built: src/durable/tenant-shard.ts, src/security/tenant-shards.ts, src/security/admission.ts):
// a turn touches only the call's own object, isolate-local state and, at most, the tenant's shard in
// the caller's region (`<tenant>|<hint>|<n>`, placed with that location hint; n of S, S growing with
// the tenant's rate, picked once per isolate at random).
//   - Keys: an isolate serves a key from its cache while its last check is under 1 s old; otherwise it
//     checks with its shard and waits for the answer; requests arriving while that check is in flight
//     wait for the same answer. (The code refreshes at half that age in the background, so steady
//     traffic waits less than modelled here.)
//   - Request rate: each isolate spends tokens from a local pool leased from its shard LEASE tokens at a
//     time, asking for the next lease when half the pool is left; the shard leases from the tenant's
//     one exact bucket (TenantLimits) about a second of its own demand at a time, in the background.
//   - Active calls: creating a call takes a slot from a shard of its region (picked by call id) within
//     the allotment that shard holds; ending it gives it back. The shard asks TenantLimits for slots a
//     step at a time, so the tenant's object sees about two RPCs per step of creations, not per call.
//   A turn adds Worker → call object + (when it pays a key check or a dry pool) Worker → its shard.
//
// The replay: 288 five-minute slots of a day (UTC). In each, every caller site's rate is the tenant's
// peak rate × its continent's share × its share within the continent × the diurnal curve at its local
// hour, scaled so the busiest slot's total is the peak. Each site's requests in the slot are drawn as a
// Poisson stream over a 13 s window (3 s warm-up, 10 s measured, the same for every slot, so the
// measured requests are a fixed sample of the day's), spread at random over the site's isolates and
// the tenant's keys; leases, key checks and their answers run in simulated time. Objects' requests/s
// are counted over each measured window; the busiest window of the day is printed. Seeded: the same
// options print the same figures.
//
// Usage: npm run bench:placement -- [--seed 1] [--home enam|wnam|sam|weur|eeur|apac|oc|afr|me|first]
//   [--rates 100,2000,10000] [--keys 3] [--per-isolate-rps 50]
import { HINTS, HINT_REGION, SAME_METRO_RTT_MS, rttMs } from "./placement-table.mjs";
import { seeded } from "./lib/seeded.mjs";

/** Seconds between a live call's turns, and a call's length: live calls = turn rate × 5 s. */
const TURN_INTERVAL_S = 5;
const CALL_S = 180;
/** A key's cached verdict is good for this long in an isolate. */
const KEY_CACHE_S = 1;
const SLOT_MIN = 5;
const WARMUP_S = 3;
const WINDOW_S = 10;
/** The design's ceiling for one object at a tenant's 10,000 requests/s. */
const TARGET_MAX_OBJECT_RPS = 500;
const TARGET_AT_RPS = 10_000;
/** Call slots a shard asks for at once (src/security/tenant-limits.ts slotStep) at a large tenant's limit. */
const SLOT_STEP = 25;

/**
 * Where a tenant's callers are: a stated split between continents (an assumption for a tenant selling
 * worldwide, not data), and within each, Azure regions' metros standing for its callers, with their UTC
 * offsets (standard time) and the location hint src/storage/location-hint.ts gives a caller there
 * (continent, country, longitude: North America splits at -100°, Europe at 20°E, Middle East by country).
 */
export const CONTINENTS = [
  {
    name: "North_America",
    share: 0.3,
    sites: [
      ["East US", 0.3, -5, "enam"], // Virginia, -78°
      ["Canada Central", 0.08, -5, "enam"], // Toronto, -79°
      ["Central US", 0.17, -6, "enam"], // Iowa, -94°
      ["South Central US", 0.12, -6, "enam"], // Texas, -98.5°
      ["Mexico Central", 0.08, -6, "wnam"], // Querétaro, -100.4°
      ["West US", 0.17, -8, "wnam"], // California
      ["West US 2", 0.08, -8, "wnam"], // Washington
    ],
  },
  { name: "South_America", share: 0.08, sites: [["Brazil South", 1, -3, "sam"]] },
  {
    name: "Europe",
    share: 0.25,
    sites: [
      ["UK South", 0.18, 0, "weur"],
      ["Germany West Central", 0.18, 1, "weur"],
      ["France Central", 0.14, 1, "weur"],
      ["West Europe", 0.14, 1, "weur"],
      ["Spain Central", 0.1, 1, "weur"],
      ["Italy North", 0.1, 1, "weur"],
      ["Sweden Central", 0.06, 1, "weur"], // Gävle, 17°E
      ["Poland Central", 0.1, 1, "eeur"], // Warsaw, 21°E
    ],
  },
  {
    name: "Africa",
    share: 0.06,
    sites: [
      ["South Africa North", 0.7, 2, "afr"],
      ["South Africa West", 0.3, 2, "afr"],
    ],
  },
  {
    name: "Asia",
    share: 0.25,
    sites: [
      ["Central India", 0.18, 5.5, "apac"],
      ["South India", 0.08, 5.5, "apac"],
      ["Japan East", 0.16, 9, "apac"],
      ["Korea Central", 0.1, 9, "apac"],
      ["East Asia", 0.1, 8, "apac"], // Hong Kong
      ["Southeast Asia", 0.1, 8, "apac"], // Singapore
      ["Malaysia West", 0.04, 8, "apac"],
      ["Indonesia Central", 0.1, 7, "apac"],
      ["UAE North", 0.06, 4, "me"],
      ["Qatar Central", 0.04, 3, "me"],
      ["Israel Central", 0.04, 2, "eeur"],
    ],
  },
  {
    name: "Oceania",
    share: 0.06,
    sites: [
      ["Australia East", 0.55, 10, "oc"],
      ["Australia Southeast", 0.25, 10, "oc"],
      ["Australia Central", 0.08, 10, "oc"],
      ["New Zealand North", 0.12, 12, "oc"],
    ],
  },
];

/** Calls by local hour: a raised cosine, 0.2 at 02:00, 1.0 at 14:00. */
export function diurnal(localHour) {
  return 0.2 + 0.4 * (1 + Math.cos((2 * Math.PI * (localHour - 14)) / 24));
}

/** Tokens an isolate leases at once (src/security/tenant-limits.ts leaseSize): half a second of the rate, 1 to 50. */
export function leaseTokens(perMinute) {
  return Math.min(50, Math.max(1, Math.round(perMinute / 120)));
}

/** Shards per region (src/security/tenant-shards.ts shardsPerRegion): one per 1,500 requests/s, 1 to 32. */
export function shardsPerRegion(perMinute) {
  return Math.min(32, Math.max(1, Math.ceil(perMinute / 60 / 1500)));
}

const SITES = CONTINENTS.flatMap((c, ci) =>
  c.sites.map(([name, share, utcOffset, hint]) => {
    return { name, continent: ci, weight: c.share * share, utcOffset, hint };
  }),
);

const SLOTS = (24 * 60) / SLOT_MIN;

/** Each site's share of the tenant's rate in a slot, and the factor that makes the busiest slot's total 1. */
function slotWeights() {
  const weights = [];
  for (let s = 0; s < SLOTS; s++) {
    const hourUtc = ((s + 0.5) * SLOT_MIN) / 60;
    weights.push(SITES.map((site) => site.weight * diurnal((hourUtc + site.utcOffset + 24) % 24)));
  }
  const peak = Math.max(...weights.map((w) => w.reduce((a, b) => a + b, 0)));
  return weights.map((w) => w.map((x) => x / peak));
}

const MAX_MS = 2000;

function histogram() {
  return new Float64Array(MAX_MS + 1);
}

function record(h, ms) {
  h[Math.min(MAX_MS, Math.round(ms))] += 1;
}

function percentile(h, q) {
  const total = h.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let ms = 0; ms <= MAX_MS; ms++) {
    seen += h[ms];
    if (seen >= q * total) return ms;
  }
  return MAX_MS;
}

/**
 * One tenant's day at a peak of `peakRps`. Returns per continent the before/after histograms and key
 * check share, and the busiest object's requests/s before and after.
 */
export function replayDay({ peakRps, seed, home, keys, perIsolateRps }) {
  const rand = seeded(seed * 1_000_003 + peakRps);
  const lease = leaseTokens(peakRps * 60);
  const shardsPer = shardsPerRegion(peakRps * 60);
  const createShare = 1 / CALL_S / (1 / TURN_INTERVAL_S + 1 / CALL_S);
  const perContinent = CONTINENTS.map(() => ({ before: histogram(), after: histogram(), turns: 0, checked: 0 }));
  const busiest = { before: 0, after: 0, afterAt: "", tenantObject: 0 };
  let waits = 0;
  const weights = slotWeights();
  for (let s = 0; s < SLOTS; s++) {
    // Per shard object (hint × shard index): leases, call slots taken (ends give as many back), key checks.
    const leases = new Float64Array(HINTS.length * shardsPer);
    const slots = new Float64Array(HINTS.length * shardsPer);
    const checks = new Float64Array(HINTS.length * shardsPer);
    let requests = 0;
    let creations = 0;
    SITES.forEach((site, i) => {
      const rps = peakRps * weights[s][i];
      const stats = perContinent[site.continent];
      const hintIndex = HINTS.indexOf(site.hint);
      const callRtt = rttMs(site.name, site.hint); // the call's own object and the shard share a hint
      const beforeRtt = rttMs(site.name, home) + callRtt;
      const isolates = Math.max(1, Math.ceil(rps / perIsolateRps));
      // Each isolate's shard among its region's (drawn once per isolate, as isolateShardIndex does).
      const shardOf = Array.from({ length: isolates }, () => hintIndex * shardsPer + Math.floor(rand() * shardsPer));
      const checkedAt = new Float64Array(isolates * keys).fill(-Infinity); // when each key's answer came
      const tokens = new Float64Array(isolates).fill(lease);
      const refillAt = new Float64Array(isolates).fill(Infinity);
      let t = 0;
      for (;;) {
        t += -Math.log(1 - rand()) / rps;
        if (t >= WARMUP_S + WINDOW_S) break;
        const measured = t >= WARMUP_S;
        const iso = Math.floor(rand() * isolates);
        const entry = iso * keys + Math.floor(rand() * keys);
        // The isolate's pool of leased tokens; a lease asked for earlier may have come back.
        let wait = 0;
        if (refillAt[iso] <= t) {
          tokens[iso] += lease;
          refillAt[iso] = Infinity;
        }
        if (tokens[iso] < 1) {
          if (refillAt[iso] === Infinity) {
            refillAt[iso] = t + callRtt / 1000;
            if (measured) leases[shardOf[iso]] += 1;
          }
          wait = (refillAt[iso] - t) * 1000;
          tokens[iso] += lease;
          refillAt[iso] = Infinity;
          if (measured) waits += 1;
        }
        tokens[iso] -= 1;
        if (tokens[iso] <= lease / 2 && refillAt[iso] === Infinity) {
          refillAt[iso] = t + wait / 1000 + callRtt / 1000;
          if (measured) leases[shardOf[iso]] += 1;
        }
        // The key: from the isolate's cache, or wait for a check (a new one, or one already in flight).
        let check = 0;
        if (t < checkedAt[entry]) {
          check = (checkedAt[entry] - t) * 1000;
        } else if (t - checkedAt[entry] >= KEY_CACHE_S) {
          check = callRtt;
          checkedAt[entry] = t + callRtt / 1000;
          if (measured) checks[shardOf[iso]] += 1;
        }
        const creates = rand() < createShare;
        if (!measured) continue;
        requests += 1;
        if (creates) {
          creations += 1;
          slots[hintIndex * shardsPer + Math.floor(rand() * shardsPer)] += 1;
        }
        stats.turns += 1;
        if (check > 0) stats.checked += 1;
        record(stats.before, beforeRtt);
        record(stats.after, callRtt + Math.max(check, wait));
      }
    });
    // Before: every request's authorize, and each call's acquire and release, on the one object.
    busiest.before = Math.max(busiest.before, (requests + 2 * creations) / WINDOW_S);
    // After: each shard's leases and key checks (one RPC in the code, counted apart here: an upper
    // bound) and its calls' acquires and releases.
    let activeShards = 0;
    for (let o = 0; o < leases.length; o++) {
      const rps = (leases[o] + checks[o] + 2 * slots[o]) / WINDOW_S;
      if (rps > 0) activeShards += 1;
      const at = `${HINTS[Math.floor(o / shardsPer)]}/${o % shardsPer}@${clock(s)}`;
      if (rps > busiest.after) Object.assign(busiest, { after: rps, afterAt: at });
    }
    // The tenant's object: about two token leases a second from each busy shard (each asks for a second
    // of its demand when half is left), and an allotment ask or give-back per SLOT_STEP creations.
    const tenantObject = 2 * activeShards + (2 * creations) / WINDOW_S / SLOT_STEP;
    busiest.tenantObject = Math.max(busiest.tenantObject, tenantObject);
  }
  return { lease, shardsPer, perContinent, busiest, waits };
}

/**
 * The share of one isolate's requests that wait for a key check, at `rps` requests/s spread evenly over
 * `keys` keys: simulated over 2,000 s. With Poisson arrivals it is about 1 / (1 + rps / keys × 1 s).
 */
export function keyCheckShare(rps, keys, seed, replicaRttMs = SAME_METRO_RTT_MS) {
  const rand = seeded(seed * 7919 + rps);
  const checkedAt = new Float64Array(keys).fill(-Infinity);
  let requests = 0;
  let waited = 0;
  for (let t = 0; ;) {
    t += -Math.log(1 - rand()) / rps;
    if (t >= 2000) break;
    const k = Math.floor(rand() * keys);
    requests += 1;
    if (t < checkedAt[k]) waited += 1;
    else if (t - checkedAt[k] >= KEY_CACHE_S) {
      checkedAt[k] = t + replicaRttMs / 1000;
      waited += 1;
    }
  }
  return waited / requests;
}

function clock(slot) {
  const minutes = slot * SLOT_MIN;
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}Z`;
}

/** The region of the day's first call (00:00 UTC), drawn by traffic from the seed: today's placement. */
function firstCallHint(seed) {
  const w = slotWeights()[0];
  let r = seeded(seed)() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < SITES.length; i++) {
    r -= w[i];
    if (r <= 0) return SITES[i].hint;
  }
  return SITES.at(-1).hint;
}

function parseArgs(argv) {
  const o = { seed: 1, home: "enam", rates: [100, 2000, 10_000], keys: 3, perIsolateRps: 50 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--seed") o.seed = Number(value());
    else if (flag === "--home") o.home = value();
    else if (flag === "--rates") o.rates = value().split(",").map(Number);
    else if (flag === "--keys") o.keys = Number(value());
    else if (flag === "--per-isolate-rps") o.perIsolateRps = Number(value());
    else if (flag === "--help" || flag === "-h") {
      console.log(
        "npm run bench:placement -- [--seed 1] [--home enam|wnam|sam|weur|eeur|apac|oc|afr|me|first] " +
          "[--rates 100,2000,10000] [--keys 3] [--per-isolate-rps 50]",
      );
      process.exit(0);
    } else throw new Error(`unknown option ${argv[i]} (--help lists them)`);
  }
  if (o.home !== "first" && !HINTS.includes(o.home)) throw new Error(`--home: one of ${HINTS.join(", ")}, first`);
  for (const n of [o.seed, o.keys, o.perIsolateRps, ...o.rates]) {
    if (!Number.isInteger(n) || n < 1) throw new Error("--seed, --keys, --per-isolate-rps, --rates: whole numbers ≥ 1");
  }
  return o;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const home = o.home === "first" ? firstCallHint(o.seed) : o.home;
  const split = CONTINENTS.map((c) => `${c.name}:${c.share}`).join(",");
  console.log(
    "MODEL: a day of one tenant's turns replayed against published inter-region round trips, " +
      "not a measurement; the local benches (npm run bench, bench:stream) measure the code",
  );
  console.log(
    "table: Azure network round-trip latency statistics, monthly P95 ms, 30 days to 2026-07-30, " +
      "https://learn.microsoft.com/en-us/azure/networking/azure-network-latency",
  );
  console.log(
    `params: seed=${o.seed} home=${home} (${HINT_REGION[home]}${o.home === "first" ? ", the first call's" : ""}) ` +
      `keys_per_tenant=${o.keys} per_isolate_rps=${o.perIsolateRps} key_cache_s=${KEY_CACHE_S} ` +
      `same_metro_rtt_ms=${SAME_METRO_RTT_MS} turn_every_s=${TURN_INTERVAL_S} call_s=${CALL_S} ` +
      `slot_min=${SLOT_MIN} window_s=${WINDOW_S}`,
  );
  console.log(`split: ${split} diurnal=0.2+0.4*(1+cos(2*pi*(local_hour-14)/24))`);
  const shares = [1, 5, 10, 25, 50, 100].map((r) => `rps=${r}:${keyCheckShare(r, o.keys, o.seed).toFixed(3)}`);
  console.log(`key_check_share_per_isolate: ${shares.join(" ")} (keys=${o.keys}; about 1/(1+rps/keys))`);
  let targetMet;
  for (const peakRps of o.rates) {
    const day = replayDay({ peakRps, seed: o.seed, home, keys: o.keys, perIsolateRps: o.perIsolateRps });
    console.log(
      `tenant_rps=${peakRps} per_minute_limit=${peakRps * 60} lease_tokens=${day.lease} ` +
        `shards_per_region=${day.shardsPer}`,
    );
    CONTINENTS.forEach((c, i) => {
      const s = day.perContinent[i];
      console.log(
        `tenant_rps=${peakRps} continent=${c.name} before_ms_p50=${percentile(s.before, 0.5)} ` +
          `after_ms_p50=${percentile(s.after, 0.5)} before_ms_p99=${percentile(s.before, 0.99)} ` +
          `after_ms_p99=${percentile(s.after, 0.99)} key_check_share=${(s.checked / s.turns).toFixed(3)}`,
      );
    });
    const b = day.busiest;
    console.log(
      `tenant_rps=${peakRps} before_max_object_rps=${Math.round(b.before)} ` +
        `after_max_object_rps=${Math.round(b.after)} (${b.afterAt}, the busiest shard) ` +
        `after_tenant_object_rps=${Math.round(b.tenantObject)} lease_waits=${day.waits}`,
    );
    if (peakRps === TARGET_AT_RPS) targetMet = Math.max(b.after, b.tenantObject) <= TARGET_MAX_OBJECT_RPS;
  }
  if (targetMet !== undefined) {
    console.log(
      `target: no object above ${TARGET_MAX_OBJECT_RPS} requests/s at tenant_rps=${TARGET_AT_RPS}: ` +
        `${targetMet ? "met" : "NOT met"}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
