import type { BreakerState } from "./circuit-breaker";
import type { RegionInfo, ResidencyZone } from "./regions";

/**
 * Ranks the candidate provider-regions for one request, best first. The score is an estimated
 * time to answer in ms, so its parts add up in one unit:
 * - network: great-circle distance to the caller at ~100 km per ms of round trip (light in fibre
 *   covers ~200 km/ms one way, and routes are not straight);
 * - service: the provider-region's observed EWMA latency when known, else a neutral prior;
 * - load: inflated as in-flight calls approach capacity (queueing grows as 1 / (1 - utilisation));
 * - health: open breakers are excluded, half-open ones are tried last.
 * Preference order (the configured chain) breaks near-ties via a small per-position penalty.
 */
export interface CallerPosition {
  lat?: number | undefined;
  lon?: number | undefined;
}

export interface RegionHealthView {
  state: BreakerState;
  latencyMs?: number | undefined;
  inFlight: number;
  capacity: number;
}

export interface Candidate extends Omit<RegionInfo, "lat" | "lon"> {
  /** Unknown for regions outside the catalog (a self-hosted endpoint): distance-neutral. */
  lat?: number | undefined;
  lon?: number | undefined;
  /** Position of the provider in the configured chain (0 = preferred). */
  preference: number;
}

export interface RankedRegion extends Candidate {
  scoreMs: number;
  distanceKm: number | null;
}

const EARTH_RADIUS_KM = 6371;
const KM_PER_RTT_MS = 100;
/** Service time assumed before a region has been measured: a typical short STT/TTS request. */
const PRIOR_SERVICE_MS = 400;
/** Per position in the configured chain: the deployer's order wins unless another is clearly better. */
const PREFERENCE_PENALTY_MS = 150;
const HALF_OPEN_PENALTY_MS = 5000;
/** Open breakers rank behind everything when kept (the caller wants them for its skip report). */
const OPEN_PENALTY_MS = 1_000_000;
/** Network share assumed for a region of unknown location. */
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
  options: { residency?: ResidencyZone | undefined; keepOpen?: boolean } = {},
): RankedRegion[] {
  const ranked: RankedRegion[] = [];
  for (const c of candidates) {
    // Residency is a hard rule: an EU-only call never leaves EU regions, even if none is healthy.
    if (options.residency && c.zone !== options.residency) continue;
    const h = health(c);
    if (h?.state === "open" && !options.keepOpen) continue;
    const known = caller.lat !== undefined && caller.lon !== undefined && c.lat !== undefined && c.lon !== undefined;
    const distanceKm = known ? greatCircleKm(caller.lat as number, caller.lon as number, c.lat as number, c.lon as number) : null;
    const network = distanceKm !== null ? distanceKm / KM_PER_RTT_MS : caller.lat !== undefined ? UNKNOWN_NETWORK_MS : 0;
    const service = h?.latencyMs ?? PRIOR_SERVICE_MS;
    const utilisation = h && h.capacity > 0 ? Math.min(0.95, h.inFlight / h.capacity) : 0;
    const load = 1 / (1 - utilisation);
    const scoreMs =
      (network + service) * load + c.preference * PREFERENCE_PENALTY_MS + (h?.state === "half_open" ? HALF_OPEN_PENALTY_MS : h?.state === "open" ? OPEN_PENALTY_MS : 0) - ((c.weight ?? 1) - 1) * 100;
    ranked.push({ ...c, scoreMs, distanceKm });
  }
  return ranked.sort((a, b) => a.scoreMs - b.scoreMs);
}
