import { healthRegistry, type HealthRegistry } from "./health-registry";
import { findRegion, REGION_CATALOG, type RegionInfo, type ResidencyZone } from "./regions";
import { PRIOR_SERVICE_MS, rankRegions, type Candidate } from "./select";
import type { CallerPosition } from "../call/caller";

/** The parts of `request.cf` that place a caller (strings in some runtimes, numbers in others). */
export interface CallerCf {
  latitude?: string | number | undefined;
  longitude?: string | number | undefined;
}

export function callerPosition(cf: CallerCf | undefined): CallerPosition {
  const lat = coordinate(cf?.latitude, 90);
  const lon = coordinate(cf?.longitude, 180);
  return lat !== undefined && lon !== undefined ? { lat, lon } : {};
}

/** A blank or out-of-range value is no position at all (Number("") would place the caller at 0°). */
function coordinate(value: string | number | undefined, limit: number): number | undefined {
  if (value === undefined || (typeof value === "string" && value.trim() === "")) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

export interface OrderOptions {
  /** Keep only regions that may serve this residency (in its zone, or in process); null = no restriction. */
  residency?: ResidencyZone | null | undefined;
  registry?: HealthRegistry | undefined;
  /** Where each provider-region is and what it may take: regionCatalog(config); default the shipped catalog. */
  catalog?: readonly RegionInfo[] | undefined;
}

/**
 * Orders a provider chain (possibly several regions per provider) for one caller: nearest healthy,
 * fast, unloaded regions first, the configured provider order breaking near-ties, open breakers
 * last (callWithResilience skips them and reports when they reopen). With `residency`, regions
 * outside the zone are dropped entirely, which may leave nothing: the caller answers that with a
 * clear error rather than sending the call elsewhere.
 *
 * Also applies the catalog's per-region capacity to the registry, where admission control reads
 * it, so the limit is in force before the first call to a region (and reverts when the catalog
 * no longer sets one).
 */
export function orderForCaller<T extends { name: string; region: string }>(
  chain: readonly T[],
  caller: CallerPosition,
  options: OrderOptions = {},
): T[] {
  const registry = options.registry ?? healthRegistry;
  const catalog = options.catalog ?? REGION_CATALOG;
  const infos = chain.map((engine) => findRegion(catalog, engine.name, engine.region));
  chain.forEach((engine, i) => registry.setRegionCapacity(engine.name, engine.region, infos[i]?.capacity));
  if (chain.length < 2 && !options.residency) return [...chain];
  const names = [...new Set(chain.map((p) => p.name))];
  const candidates = chain.map((engine, index) => {
    const info = infos[index];
    const candidate: Candidate & { index: number } = {
      provider: engine.name,
      region: engine.region,
      // Outside the catalog nothing is known about where the data goes: no residency zone admits it.
      zone: info?.zone ?? "other",
      lat: info?.lat,
      lon: info?.lon,
      weight: info?.weight,
      preference: names.indexOf(engine.name),
      index,
    };
    return candidate;
  });
  const ranked = rankRegions(
    candidates,
    caller,
    (c) => {
      const h = registry.get(c.provider, c.region);
      return {
        state: h.breaker.snapshot().state,
        latencyMs: h.latency.rankingLatency(PRIOR_SERVICE_MS),
        inFlight: h.inFlight,
        capacity: h.capacity,
      };
    },
    { residency: options.residency, keepOpen: true },
  );
  return ranked.map((r) => chain[(r as unknown as { index: number }).index] as T);
}
