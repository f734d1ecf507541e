import type { RegionOverride } from "../config/region-overrides";

/**
 * Where each provider can serve from: location (for network-distance estimates), residency zone
 * (for EU-only tenants), the host its adapter calls, and per-isolate capacity. Shipped as data and
 * overridable with PROVIDER_REGIONS_CATALOG (see regionCatalog). Coordinates are the metro area of
 * the provider's documented region (city-level precision is all distance needs).
 * Sources: Azure "Supported regions for Azure Speech" (regions offering both real-time STT and
 * neural TTS), Google "Speech-to-Text / Text-to-Speech endpoints", Deepgram "regional endpoints",
 * AWS "Amazon Polly endpoints and quotas" (commercial partition).
 */
export type ResidencyZone = "eu" | "us" | "other";

/**
 * "eu": EU member states only. The UK, Switzerland and Norway are "other": an adequacy decision
 * or EEA membership is not EU residency, and a hard rule is safer too strict than too loose (a
 * deployer whose policy accepts them can say so in PROVIDER_REGIONS_CATALOG).
 * "edge": in process (our own Worker / Durable Object): the audio and text go nowhere, so it
 * satisfies every residency.
 */
export type CatalogZone = ResidencyZone | "edge";
export const IN_PROCESS_ZONE = "edge" satisfies CatalogZone;

export interface RegionInfo {
  provider: string;
  /** The region id the provider's adapter reports (AZURE_SPEECH_REGION, POLLY_REGION, an endpoint id...). */
  region: string;
  /** Absent when the region has no fixed place (in process, or a network that picks its own data centre). */
  lat?: number | undefined;
  lon?: number | undefined;
  zone: CatalogZone;
  /**
   * Host the adapter calls; where STT and TTS have separate hosts, the speech-to-text one. Absent when no host is
   * called (in process, a binding).
   */
  endpoint?: string | undefined;
  /** The text-to-speech host, where it differs from `endpoint`. */
  ttsEndpoint?: string | undefined;
  /** Admission limit: calls in flight to this region from one isolate (default DEFAULT_CAPACITY). */
  capacity?: number | undefined;
  /** Relative preference among otherwise equal regions (default 1). */
  weight?: number | undefined;
}

// Both Azure hosts embed the region id: https://<region>.stt.speech.microsoft.com and .tts. (the adapters' URLs).
const azure = (region: string, lat: number, lon: number, zone: ResidencyZone): RegionInfo => ({
  provider: "azure",
  region,
  lat,
  lon,
  zone,
  endpoint: `${region}.stt.speech.microsoft.com`,
  ttsEndpoint: `${region}.tts.speech.microsoft.com`,
});
const polly = (region: string, lat: number, lon: number, zone: ResidencyZone): RegionInfo => ({
  provider: "polly",
  region,
  lat,
  lon,
  zone,
  endpoint: `polly.${region}.amazonaws.com`,
});

export const REGION_CATALOG: readonly RegionInfo[] = [
  azure("eastus", 37.4, -79.0, "us"),
  azure("eastus2", 36.7, -78.4, "us"),
  azure("centralus", 41.6, -93.6, "us"),
  azure("northcentralus", 41.9, -87.6, "us"),
  azure("southcentralus", 29.4, -98.5, "us"),
  azure("westcentralus", 40.9, -110.2, "us"),
  azure("westus", 37.8, -122.4, "us"),
  azure("westus2", 47.2, -119.9, "us"),
  azure("westus3", 33.4, -112.1, "us"),
  azure("canadacentral", 43.7, -79.4, "other"),
  azure("canadaeast", 46.8, -71.2, "other"),
  azure("brazilsouth", -23.6, -46.6, "other"),
  azure("westeurope", 52.4, 4.9, "eu"),
  azure("northeurope", 53.3, -6.3, "eu"),
  azure("francecentral", 48.9, 2.4, "eu"),
  azure("germanywestcentral", 50.1, 8.7, "eu"),
  azure("italynorth", 45.5, 9.2, "eu"),
  azure("swedencentral", 60.7, 17.1, "eu"),
  azure("norwayeast", 59.9, 10.8, "other"),
  azure("switzerlandnorth", 47.4, 8.5, "other"),
  azure("switzerlandwest", 46.2, 6.1, "other"),
  azure("uksouth", 51.5, -0.1, "other"),
  azure("ukwest", 51.5, -3.2, "other"),
  azure("uaenorth", 25.3, 55.3, "other"),
  azure("qatarcentral", 25.3, 51.5, "other"),
  azure("southafricanorth", -26.2, 28.0, "other"),
  azure("centralindia", 18.5, 73.9, "other"),
  azure("eastasia", 22.3, 114.2, "other"),
  azure("southeastasia", 1.3, 103.8, "other"),
  azure("japaneast", 35.7, 139.8, "other"),
  azure("japanwest", 34.7, 135.5, "other"),
  azure("koreacentral", 37.6, 127.0, "other"),
  azure("australiaeast", -33.9, 151.2, "other"),
  // Google Cloud multi-region endpoints (src/providers/google/endpoints.ts); "global" may be served from anywhere.
  {
    provider: "google",
    region: "us",
    lat: 41.3,
    lon: -95.9,
    zone: "us",
    endpoint: "us-speech.googleapis.com",
    ttsEndpoint: "us-texttospeech.googleapis.com",
  },
  {
    provider: "google",
    region: "eu",
    lat: 50.4,
    lon: 3.8,
    zone: "eu",
    endpoint: "eu-speech.googleapis.com",
    ttsEndpoint: "eu-texttospeech.googleapis.com",
  },
  {
    provider: "google",
    region: "global",
    lat: 41.3,
    lon: -95.9,
    zone: "other",
    endpoint: "speech.googleapis.com",
    ttsEndpoint: "texttospeech.googleapis.com",
  },
  // Deepgram: the default API (US) and the EU endpoint, one host for /v1/listen and /v1/speak.
  { provider: "deepgram", region: "global", lat: 37.8, lon: -122.4, zone: "us", endpoint: "api.deepgram.com" },
  { provider: "deepgram", region: "eu", lat: 50.1, lon: 8.7, zone: "eu", endpoint: "api.eu.deepgram.com" },
  // ElevenLabs and Cartesia (text-to-speech): their default APIs, in the US; a data-residency host
  // set as the base URL reports that host as its region and needs a PROVIDER_REGIONS_CATALOG entry.
  {
    provider: "elevenlabs",
    region: "api.elevenlabs.io",
    lat: 37.8,
    lon: -122.4,
    zone: "us",
    endpoint: "api.elevenlabs.io",
  },
  { provider: "cartesia", region: "api.cartesia.ai", lat: 37.8, lon: -122.4, zone: "us", endpoint: "api.cartesia.ai" },
  // AssemblyAI (streaming speech-to-text, ASSEMBLYAI_REGION): the default host routes each session to the
  // nearest of Oregon, Virginia and Ireland (no fixed place, no residency); the us and eu hosts keep the
  // audio in their zone (https://www.assemblyai.com/docs/streaming/endpoints-and-data-zones).
  { provider: "assemblyai", region: "global", zone: "other", endpoint: "streaming.assemblyai.com" },
  { provider: "assemblyai", region: "us", lat: 39.0, lon: -77.5, zone: "us", endpoint: "streaming.us.assemblyai.com" },
  { provider: "assemblyai", region: "eu", lat: 53.3, lon: -6.3, zone: "eu", endpoint: "streaming.eu.assemblyai.com" },
  polly("us-east-1", 38.9, -77.5, "us"),
  polly("us-east-2", 40.0, -83.0, "us"),
  polly("us-west-1", 37.4, -121.9, "us"),
  polly("us-west-2", 45.8, -119.7, "us"),
  polly("ca-central-1", 45.5, -73.6, "other"),
  polly("sa-east-1", -23.5, -46.6, "other"),
  polly("eu-central-1", 50.1, 8.7, "eu"),
  polly("eu-west-1", 53.3, -6.3, "eu"),
  polly("eu-west-2", 51.5, -0.1, "other"),
  polly("eu-west-3", 48.9, 2.4, "eu"),
  polly("eu-north-1", 59.3, 18.1, "eu"),
  polly("me-south-1", 26.1, 50.6, "other"),
  polly("af-south-1", -33.9, 18.4, "other"),
  polly("ap-south-1", 19.1, 72.9, "other"),
  polly("ap-east-1", 22.3, 114.2, "other"),
  polly("ap-southeast-1", 1.3, 103.8, "other"),
  polly("ap-northeast-1", 35.7, 139.7, "other"),
  polly("ap-northeast-2", 37.6, 127.0, "other"),
  polly("ap-northeast-3", 34.7, 135.5, "other"),
  polly("ap-southeast-2", -33.9, 151.2, "other"),
  // Workers AI (region WORKERS_AI_REGION): Cloudflare runs it on whichever GPU data centre it picks,
  // through the AI binding, with no residency guarantee.
  { provider: "workers-ai", region: "global", zone: "other" },
  // The embedded eSpeak engine runs inside this Worker (region "edge" in src/providers/local).
  { provider: "local", region: "edge", zone: IN_PROCESS_ZONE },
];

/** Whether a region may serve a call restricted to `residency`: in its zone, or in process. */
export function satisfiesResidency(zone: CatalogZone, residency: ResidencyZone): boolean {
  return zone === residency || zone === IN_PROCESS_ZONE;
}

export function catalogFor(provider: string, catalog: readonly RegionInfo[] = REGION_CATALOG): RegionInfo[] {
  return catalog.filter((r) => r.provider === provider);
}

const indexes = new WeakMap<readonly RegionInfo[], Map<string, RegionInfo>>();

/** The catalog entry for a provider-region, if any (indexed once per catalog: this runs per request). */
export function findRegion(catalog: readonly RegionInfo[], provider: string, region: string): RegionInfo | undefined {
  let index = indexes.get(catalog);
  if (!index) {
    index = new Map(catalog.map((r) => [`${r.provider}@${r.region}`, r]));
    indexes.set(catalog, index);
  }
  return index.get(`${provider}@${region}`);
}

/** The shipped catalog with overrides applied: field by field for a known provider-region, appended otherwise. */
export function mergeCatalog(base: readonly RegionInfo[], overrides: readonly RegionOverride[]): RegionInfo[] {
  const merged = base.map((r) => ({ ...r }));
  for (const o of overrides) {
    const fields = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as RegionOverride;
    const existing = merged.find((r) => r.provider === o.provider && r.region === o.region);
    // A new region of unknown residency is assumed to be outside every zone until the deployer says otherwise.
    if (existing) Object.assign(existing, fields);
    else merged.push({ zone: "other", ...fields });
  }
  return merged;
}

const catalogs = new WeakMap<object, readonly RegionInfo[]>();

/** The region catalog in effect for a parsed configuration (merged once per config object). */
export function regionCatalog(config: {
  readonly PROVIDER_REGIONS_CATALOG?: readonly RegionOverride[] | undefined;
}): readonly RegionInfo[] {
  const overrides = config.PROVIDER_REGIONS_CATALOG;
  if (!overrides?.length) return REGION_CATALOG;
  let catalog = catalogs.get(config);
  if (!catalog) {
    catalog = mergeCatalog(REGION_CATALOG, overrides);
    catalogs.set(config, catalog);
  }
  return catalog;
}
