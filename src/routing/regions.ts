/**
 * Where each provider can serve from: location (for network-distance estimates), residency zone
 * (for EU-only tenants), and per-isolate capacity. Shipped as data; coordinates are the metro
 * area of the provider's documented region (city-level precision is all distance needs).
 * Sources: Azure "Speech service supported regions", Google "Speech-to-Text locations",
 * Deepgram "EU endpoint", AWS "Amazon Polly endpoints and quotas".
 */
export type ResidencyZone = "eu" | "us" | "other";

export interface RegionInfo {
  provider: string;
  /** The region id the provider's adapter is configured with (AZURE_SPEECH_REGION, POLLY_REGION...). */
  region: string;
  lat: number;
  lon: number;
  zone: ResidencyZone;
  /** Relative preference among otherwise equal regions (default 1). */
  weight?: number;
}

export const REGION_CATALOG: readonly RegionInfo[] = [
  // Azure AI Speech (a selection of the regions that offer both STT and TTS)
  { provider: "azure", region: "eastus", lat: 37.4, lon: -79.0, zone: "us" },
  { provider: "azure", region: "westus2", lat: 47.2, lon: -119.9, zone: "us" },
  { provider: "azure", region: "westeurope", lat: 52.4, lon: 4.9, zone: "eu" },
  { provider: "azure", region: "northeurope", lat: 53.3, lon: -6.3, zone: "eu" },
  { provider: "azure", region: "germanywestcentral", lat: 50.1, lon: 8.7, zone: "eu" },
  { provider: "azure", region: "japaneast", lat: 35.7, lon: 139.8, zone: "other" },
  { provider: "azure", region: "southeastasia", lat: 1.3, lon: 103.8, zone: "other" },
  { provider: "azure", region: "australiaeast", lat: -33.9, lon: 151.2, zone: "other" },
  // Google Cloud Speech / TTS multi-region endpoints
  { provider: "google", region: "us", lat: 41.3, lon: -95.9, zone: "us" },
  { provider: "google", region: "eu", lat: 50.4, lon: 3.8, zone: "eu" },
  { provider: "google", region: "global", lat: 41.3, lon: -95.9, zone: "other" },
  // Deepgram: the default API and the EU endpoint
  { provider: "deepgram", region: "global", lat: 37.8, lon: -122.4, zone: "us" },
  { provider: "deepgram", region: "eu", lat: 50.1, lon: 8.7, zone: "eu" },
  // Amazon Polly
  { provider: "polly", region: "us-east-1", lat: 38.9, lon: -77.5, zone: "us" },
  { provider: "polly", region: "us-west-2", lat: 45.8, lon: -119.7, zone: "us" },
  { provider: "polly", region: "eu-central-1", lat: 50.1, lon: 8.7, zone: "eu" },
  { provider: "polly", region: "eu-west-1", lat: 53.3, lon: -6.3, zone: "eu" },
  { provider: "polly", region: "ap-northeast-1", lat: 35.7, lon: 139.7, zone: "other" },
  { provider: "polly", region: "ap-southeast-2", lat: -33.9, lon: 151.2, zone: "other" },
];

export function catalogFor(provider: string, catalog: readonly RegionInfo[] = REGION_CATALOG): RegionInfo[] {
  return catalog.filter((r) => r.provider === provider);
}
