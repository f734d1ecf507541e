import { healthRegistry, type HealthRegistry } from "./health-registry";
import { REGION_CATALOG, type ResidencyZone } from "./regions";
import { rankRegions, type Candidate, type CallerPosition } from "./select";

/** The parts of `request.cf` that place a caller (strings in some runtimes, numbers in others). */
export interface CallerCf {
  latitude?: string | number | undefined;
  longitude?: string | number | undefined;
}

export function callerPosition(cf: CallerCf | undefined): CallerPosition {
  const lat = Number(cf?.latitude);
  const lon = Number(cf?.longitude);
  return Number.isFinite(lat) && Number.isFinite(lon) && cf?.latitude !== undefined && cf?.longitude !== undefined ? { lat, lon } : {};
}

/**
 * Orders a provider chain (possibly several regions per provider) for one caller: nearest healthy,
 * fast, unloaded regions first, the configured provider order breaking near-ties, open breakers
 * last (callWithResilience skips them and reports when they reopen). With `residency`, regions
 * outside the zone are dropped entirely.
 */
export function orderForCaller<T extends { name: string; region: string }>(
  chain: readonly T[],
  caller: CallerPosition,
  options: { residency?: ResidencyZone | undefined; registry?: HealthRegistry } = {},
): T[] {
  if (chain.length < 2 && !options.residency) return [...chain];
  const registry = options.registry ?? healthRegistry;
  const names = [...new Set(chain.map((p) => p.name))];
  const candidates = chain.map((engine, index) => {
    const info = REGION_CATALOG.find((r) => r.provider === engine.name && r.region === engine.region);
    const candidate: Candidate & { index: number } = {
      provider: engine.name,
      region: engine.region,
      zone: info?.zone ?? "other",
      lat: info?.lat,
      lon: info?.lon,
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
      return { state: h.breaker.snapshot().state, latencyMs: h.latency.snapshot().latencyMs, inFlight: h.inFlight, capacity: h.capacity };
    },
    { residency: options.residency, keepOpen: true },
  );
  return ranked.map((r) => chain[(r as unknown as { index: number }).index] as T);
}
