import { ASSEMBLYAI_HOSTS, assemblyAiSettingsSchema } from "../providers/assemblyai/settings";
import { endpointId } from "../providers/base-url";
import { CARTESIA_DEFAULT_BASE_URL } from "../providers/cartesia/settings";
import { ELEVENLABS_DEFAULT_BASE_URL } from "../providers/elevenlabs/settings";
import { describe, expect, it } from "vitest";
import { fakeFetch } from "../../test/helpers/outbound";
import { ConfigError, getConfig } from "../config/config";
import { AzureSpeechToText } from "../providers/azure/stt";
import { fixtureSamples, settings as azureSettings } from "../providers/azure/test-support";
import { AzureTextToSpeech } from "../providers/azure/tts";
import { DEEPGRAM_HOSTS } from "../providers/deepgram/settings";
import { recognizeUrl, synthesizeUrl, GOOGLE_LOCATIONS } from "../providers/google/endpoints";
import { pollyWith } from "../providers/polly/test-support";
import { WORKERS_AI_REGION } from "../providers/workers-ai/settings";
import { HealthRegistry } from "./health-registry";
import { callerPosition, orderForCaller } from "./order";
import { catalogFor, findRegion, mergeCatalog, REGION_CATALOG, regionCatalog } from "./regions";

const config = (vars: Record<string, unknown>) => getConfig(vars as unknown as Env);
const hostOf = (url: string) => new URL(url).host;

describe("the shipped region catalog", () => {
  it("has one entry per provider-region, each placed on the globe or deliberately placeless", () => {
    const keys = REGION_CATALOG.map((r) => `${r.provider}@${r.region}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of REGION_CATALOG) {
      expect(r.lat === undefined, `${r.provider}@${r.region}`).toBe(r.lon === undefined);
      if (r.lat !== undefined) expect(Math.abs(r.lat) <= 90 && Math.abs(r.lon!) <= 180).toBe(true);
    }
    expect(REGION_CATALOG.filter((r) => r.lat === undefined).map((r) => `${r.provider}@${r.region}`)).toEqual([
      "assemblyai@global",
      "workers-ai@global",
      "local@edge",
    ]);
    // Only our own process is "edge"; Workers AI has no residency guarantee.
    expect(REGION_CATALOG.filter((r) => r.zone === "edge").map((r) => r.provider)).toEqual(["local"]);
    expect(findRegion(REGION_CATALOG, "workers-ai", WORKERS_AI_REGION)).toMatchObject({ zone: "other" });
  });

  it("names the hosts the AssemblyAI, ElevenLabs and Cartesia adapters call", () => {
    for (const region of Object.keys(ASSEMBLYAI_HOSTS) as (keyof typeof ASSEMBLYAI_HOSTS)[]) {
      const settings = assemblyAiSettingsSchema.parse({ ASSEMBLYAI_API_KEY: "k", ASSEMBLYAI_REGION: region });
      expect(findRegion(REGION_CATALOG, "assemblyai", settings.region)).toMatchObject({
        endpoint: hostOf(settings.baseUrl),
      });
    }
    // ElevenLabs and Cartesia report their default host as their region.
    for (const [provider, base] of [
      ["elevenlabs", ELEVENLABS_DEFAULT_BASE_URL],
      ["cartesia", CARTESIA_DEFAULT_BASE_URL],
    ] as const) {
      expect(findRegion(REGION_CATALOG, provider, endpointId(base))).toMatchObject({ endpoint: hostOf(base) });
    }
    // Only the data-zone hosts keep audio in a zone; the default routes to the nearest region.
    expect(findRegion(REGION_CATALOG, "assemblyai", "global")?.zone).toBe("other");
    expect(findRegion(REGION_CATALOG, "assemblyai", "eu")?.zone).toBe("eu");
  });

  it("names the hosts the Google and Deepgram adapters call", () => {
    for (const location of GOOGLE_LOCATIONS) {
      expect(findRegion(REGION_CATALOG, "google", location)).toMatchObject({
        endpoint: hostOf(recognizeUrl(location)),
        ttsEndpoint: hostOf(synthesizeUrl(location)),
      });
    }
    for (const [region, host] of Object.entries(DEEPGRAM_HOSTS))
      expect(findRegion(REGION_CATALOG, "deepgram", region)?.endpoint).toBe(host);
  });

  it("names the hosts the Azure adapters call, in every Azure region", async () => {
    const { samples, sampleRate } = fixtureSamples();
    for (const r of catalogFor("azure")) {
      const stt = fakeFetch(new Response("{}", { status: 500 }));
      const tts = fakeFetch(new Response("", { status: 500 }));
      // The answers are refused; only the request's host matters here.
      await new AzureSpeechToText(azureSettings({ region: r.region }), { fetcher: stt.fetcher })
        .transcribe({ kind: "pcm", samples, sampleRate, language: "en-US" })
        .catch(() => undefined);
      await new AzureTextToSpeech(azureSettings({ region: r.region }), { fetcher: tts.fetcher })
        .synthesize({ text: "Hi", language: "en-US", sampleRate: 16000 })
        .catch(() => undefined);
      expect([stt.requests[0]?.url.host, tts.requests[0]?.url.host]).toEqual([r.endpoint, r.ttsEndpoint]);
    }
  });

  it("names the host the Polly adapter calls, in every Polly region", async () => {
    for (const r of catalogFor("polly")) {
      const { tts, requests } = pollyWith(new Response("", { status: 500 }), { POLLY_REGION: r.region });
      await tts.synthesize({ text: "Hi", language: "en-US", sampleRate: 16000 }).catch(() => undefined);
      expect(requests[0]?.url.host).toBe(r.endpoint);
    }
  });
});

describe("PROVIDER_REGIONS_CATALOG", () => {
  const SELF_HOSTED = [
    { provider: "openai", region: "stt.example.eu", lat: 50.11, lon: 8.68, zone: "eu", endpoint: "stt.example.eu" },
    {
      provider: "openai",
      region: "stt.example.com:8443",
      lat: 38.95,
      lon: -77.45,
      zone: "us",
      endpoint: "stt.example.com:8443",
      capacity: 8,
    },
  ];

  it("is optional, and blank means unset", () => {
    expect(config({}).PROVIDER_REGIONS_CATALOG).toBeUndefined();
    expect(config({ PROVIDER_REGIONS_CATALOG: "  " }).PROVIDER_REGIONS_CATALOG).toBeUndefined();
    expect(regionCatalog(config({}))).toBe(REGION_CATALOG);
  });

  it("parses a JSON string (a secret, .dev.vars) or a JSON value ([vars] in wrangler.toml)", () => {
    expect(config({ PROVIDER_REGIONS_CATALOG: JSON.stringify(SELF_HOSTED) }).PROVIDER_REGIONS_CATALOG).toEqual(
      SELF_HOSTED,
    );
    expect(config({ PROVIDER_REGIONS_CATALOG: SELF_HOSTED }).PROVIDER_REGIONS_CATALOG).toEqual(SELF_HOSTED);
  });

  it("overrides a shipped region field by field, and adds new ones", () => {
    const cfg = config({
      PROVIDER_REGIONS_CATALOG: JSON.stringify([
        { provider: "azure", region: "westeurope", capacity: 8, weight: 2 },
        { provider: "azure", region: "uksouth", zone: "eu" },
        ...SELF_HOSTED,
      ]),
    });
    const catalog = regionCatalog(cfg);
    expect(findRegion(catalog, "azure", "westeurope")).toEqual({
      ...findRegion(REGION_CATALOG, "azure", "westeurope"),
      capacity: 8,
      weight: 2,
    });
    expect(findRegion(catalog, "azure", "uksouth")?.zone).toBe("eu");
    expect(findRegion(catalog, "openai", "stt.example.eu")).toEqual(SELF_HOSTED[0]);
    expect(catalog).toHaveLength(REGION_CATALOG.length + 2);
    // the shipped data is untouched
    expect(findRegion(REGION_CATALOG, "azure", "westeurope")?.capacity).toBeUndefined();
    expect(regionCatalog(cfg)).toBe(catalog); // merged once per config
  });

  it("assumes no residency for a new region that does not state its zone", () => {
    expect(mergeCatalog([], [{ provider: "openai", region: "tts.example.net" }])).toEqual([
      { provider: "openai", region: "tts.example.net", zone: "other" },
    ]);
  });

  it("ranks self-hosted servers by their location and residency once described", () => {
    const chain = SELF_HOSTED.map((s) => ({ name: s.provider, region: s.region })).reverse();
    const catalog = regionCatalog(config({ PROVIDER_REGIONS_CATALOG: JSON.stringify(SELF_HOSTED) }));
    const order = (
      cf: { latitude: string; longitude: string },
      options: { residency?: "eu"; catalog?: typeof catalog } = {},
    ) => orderForCaller(chain, callerPosition(cf), { registry: new HealthRegistry(), ...options }).map((e) => e.region);
    const frankfurt = { latitude: "50.11", longitude: "8.68" };
    const virginia = { latitude: "38.95", longitude: "-77.45" };
    expect(order(frankfurt, { catalog })).toEqual(["stt.example.eu", "stt.example.com:8443"]);
    expect(order(virginia, { catalog })).toEqual(["stt.example.com:8443", "stt.example.eu"]);
    expect(order(virginia, { catalog, residency: "eu" })).toEqual(["stt.example.eu"]);
    // Undescribed, they are of unknown place and residency: configured order, and never EU.
    expect(order(frankfurt)).toEqual(["stt.example.com:8443", "stt.example.eu"]);
    expect(order(frankfurt, { residency: "eu" })).toEqual([]);
  });

  it.each([
    ["not JSON", "[{provider: azure}]", /PROVIDER_REGIONS_CATALOG: must be valid JSON/],
    ["not an array", '{"provider":"azure"}', /PROVIDER_REGIONS_CATALOG: must be a JSON array/],
    [
      "latitude out of range",
      '[{"provider":"azure","region":"eastus","lat":91,"lon":0}]',
      /PROVIDER_REGIONS_CATALOG\.0\.lat: must be a latitude between -90 and 90/,
    ],
    [
      "longitude out of range",
      '[{"provider":"azure","region":"eastus","lat":0,"lon":-180.5}]',
      /PROVIDER_REGIONS_CATALOG\.0\.lon: must be a longitude between -180 and 180/,
    ],
    [
      "lat without lon",
      '[{"provider":"azure","region":"eastus","lat":10}]',
      /PROVIDER_REGIONS_CATALOG\.0\.lon: lat and lon must be given together/,
    ],
    [
      "capacity of 0",
      '[{"provider":"azure","region":"eastus","capacity":0}]',
      /PROVIDER_REGIONS_CATALOG\.0\.capacity: must be between 1 and 10000/,
    ],
    [
      "fractional capacity",
      '[{"provider":"azure","region":"eastus","capacity":2.5}]',
      /PROVIDER_REGIONS_CATALOG\.0\.capacity: must be a whole number/,
    ],
    [
      "capacity above 10000",
      '[{"provider":"azure","region":"eastus","capacity":10001}]',
      /PROVIDER_REGIONS_CATALOG\.0\.capacity: must be between 1 and 10000/,
    ],
    [
      "weight out of range",
      '[{"provider":"azure","region":"eastus","weight":0.05}]',
      /PROVIDER_REGIONS_CATALOG\.0\.weight: must be between 0\.1 and 10/,
    ],
    [
      "the in-process zone",
      '[{"provider":"openai","region":"x.example","zone":"edge"}]',
      /PROVIDER_REGIONS_CATALOG\.0\.zone: must be "eu", "us" or "other"/,
    ],
    [
      "an endpoint URL instead of a host",
      '[{"provider":"openai","region":"x.example","endpoint":"https://x.example/v1"}]',
      /PROVIDER_REGIONS_CATALOG\.0\.endpoint: must be a bare lower-case host/,
    ],
    [
      "a misspelt field",
      '[{"provider":"azure","region":"eastus","latitude":10}]',
      /PROVIDER_REGIONS_CATALOG\.0: Unrecognized key: "latitude"/,
    ],
    ["a missing region", '[{"provider":"azure"}]', /PROVIDER_REGIONS_CATALOG\.0\.region/],
    [
      "a duplicate",
      '[{"provider":"azure","region":"eastus"},{"provider":"azure","region":"eastus","weight":2}]',
      /PROVIDER_REGIONS_CATALOG\.1: duplicate entry for azure@eastus/,
    ],
  ])("refuses %s with a configuration error naming the field", (_, value, message) => {
    expect(() => config({ PROVIDER_REGIONS_CATALOG: value })).toThrow(ConfigError);
    expect(() => config({ PROVIDER_REGIONS_CATALOG: value })).toThrow(message);
  });
});
