import type { CallerPosition } from "../call/caller";
import type { BreakerState } from "./circuit-breaker";
import { satisfiesResidency, type RegionInfo, type ResidencyZone } from "./regions";

/**
 * Ranks the candidate provider-regions for one request, best first. The score is an estimated
 * time to answer in ms, so its parts add up in one unit:
 * - network: round trips a request costs over the great-circle distance to the caller. Light in
 *   fibre covers ~200 km/ms one way, so ~100 km per ms of round trip on a straight path; real routes
 *   run ~1.5x longer, and a request takes about two round trips (connection set-up amortised over
 *   reused connections, then the upload and answer), hence ~33 km per ms of request time. At that
 *   rate the chain's preference penalty below is worth ~5,000 km: a provider lower in the chain wins
 *   when it is a continent closer, not a neighbouring country closer;
 * - service: the provider-region's observed EWMA latency when known, else a neutral prior;
 * - load: inflated as in-flight calls approach capacity (queueing grows as 1 / (1 - utilisation));
 * - health: open breakers are excluded, half-open ones are tried last.
 * A region with no location (in process, an unknown endpoint) is distance-neutral.
 * Preference order (the configured chain) breaks near-ties via a small per-position penalty.
 */
export interface RegionHealthView {
  state: BreakerState;
  latencyMs?: number | undefined;
  inFlight: number;
  capacity: number;
}

/** Location unknown for regions outside the catalog (a self-hosted endpoint) and placeless ones. */
export interface Candidate extends Pick<RegionInfo, "provider" | "region" | "zone" | "lat" | "lon" | "weight"> {
  /** Position of the provider in the configured chain (0 = preferred). */
  preference: number;
}

export interface RankedRegion extends Candidate {
  scoreMs: number;
  distanceKm: number | null;
}

const EARTH_RADIUS_KM = 6371;
const KM_PER_REQUEST_MS = 33;
/** Service time assumed before a region has been measured: a typical short STT/TTS request. */
export const PRIOR_SERVICE_MS = 400;
/** Per position in the configured chain: the deployer's order wins unless another is clearly better. */
const PREFERENCE_PENALTY_MS = 150;
const HALF_OPEN_PENALTY_MS = 5000;
/** Open breakers rank behind everything when kept (the caller wants them for its skip report). */
const OPEN_PENALTY_MS = 1_000_000;
/** Least network share assumed for a region of unknown location. */
const UNKNOWN_NETWORK_MS = 50;

export function greatCircleKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLon = (bLon - aLon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function rankRegions(
  candidates: readonly Candidate[],
  caller: CallerPosition,
  health: (c: Candidate) => RegionHealthView | undefined,
  options: { residency?: ResidencyZone | null | undefined; keepOpen?: boolean } = {},
): RankedRegion[] {
  const located = caller.lat !== undefined && caller.lon !== undefined;
  const distance = (c: Candidate) =>
    located && c.lat !== undefined && c.lon !== undefined
      ? greatCircleKm(caller.lat as number, caller.lon as number, c.lat, c.lon)
      : null;
  // A candidate of unknown location (the in-process engine, Workers AI, a self-hosted endpoint)
  // claims no proximity: it is costed like the farthest located one, so geography never promotes
  // a fallback engine over the deployer's cloud regions; its chain position and health still count.
  const farthest = Math.max(0, ...candidates.map((c) => distance(c) ?? 0)) / KM_PER_REQUEST_MS;
  const ranked: RankedRegion[] = [];
  for (const c of candidates) {
    // Residency is a hard rule: an EU-only call never leaves EU regions (or our own process), even if none is healthy.
    if (options.residency && !satisfiesResidency(c.zone, options.residency)) continue;
    const h = health(c);
    if (h?.state === "open" && !options.keepOpen) continue;
    const distanceKm = distance(c);
    const network =
      distanceKm !== null ? distanceKm / KM_PER_REQUEST_MS : located ? Math.max(farthest, UNKNOWN_NETWORK_MS) : 0;
    const service = h?.latencyMs ?? PRIOR_SERVICE_MS;
    const utilisation = h && h.capacity > 0 ? Math.min(0.95, h.inFlight / h.capacity) : 0;
    const load = 1 / (1 - utilisation);
    const scoreMs =
      (network + service) * load +
      c.preference * PREFERENCE_PENALTY_MS +
      (h?.state === "half_open" ? HALF_OPEN_PENALTY_MS : h?.state === "open" ? OPEN_PENALTY_MS : 0) -
      ((c.weight ?? 1) - 1) * 100;
    ranked.push({ ...c, scoreMs, distanceKm });
  }
  return ranked.sort((a, b) => a.scoreMs - b.scoreMs);
}
