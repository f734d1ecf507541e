import { describe, expect, it } from "vitest";
import { fakeFetch } from "../../../test/helpers/outbound";
import { MP3_BYTES } from "../../audio/test-signals";
import { ProviderError } from "../errors";
import { elevenLabsSettingsSchema } from "./settings";
import { KEY, elevenLabsError, settingsFrom } from "./test-support";
import { ElevenLabsTextToSpeech } from "./tts";

const REQUEST = { text: "Hello there.", language: "en-US", sampleRate: 16000 };

describe("ElevenLabs batch synthesis", () => {
  it("posts {text, model_id} to /v1/text-to-speech/{voice_id} with xi-api-key and a pcm output_format", async () => {
    const { fetcher, requests } = fakeFetch(new Response(new Uint8Array([1, 0, 2, 0]), { status: 200 }));
    const result = await new ElevenLabsTextToSpeech(settingsFrom(), { fetcher }).synthesize(REQUEST);
    expect(result).toEqual({ kind: "pcm", samples: new Int16Array([1, 2]), sampleRate: 16000 });
    const req = requests[0]!;
    expect(`${req.method} ${req.url}`).toBe(
      "POST https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb?output_format=pcm_16000",
    );
    expect(req.headers.get("xi-api-key")).toBe(KEY);
    expect(req.json()).toEqual({ text: "Hello there.", model_id: "eleven_flash_v2_5" });
  });

  it("asks for the nearest rate it has below the requested one, and MP3 when asked", async () => {
    const { fetcher, requests } = fakeFetch([
      new Response(new Uint8Array([1, 0]), { status: 200 }),
      new Response(MP3_BYTES, { status: 200, headers: { "Content-Type": "audio/mpeg" } }),
    ]);
    const tts = new ElevenLabsTextToSpeech(settingsFrom({ ELEVENLABS_VOICE: "21m00Tcm4TlvDq8ikWAM" }), { fetcher });
    expect(await tts.synthesize({ ...REQUEST, sampleRate: 48000 })).toMatchObject({ sampleRate: 24000 });
    expect(await tts.synthesize({ ...REQUEST, encoding: "mp3" })).toMatchObject({ kind: "encoded", format: "mp3" });
    expect(requests.map((r) => r.url.searchParams.get("output_format"))).toEqual(["pcm_24000", "mp3_22050_32"]);
    expect(requests[0]!.url.pathname).toBe("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM");
  });

  it("refuses a voice that is not an id before sending anything, and reports a refused voice so", async () => {
    const { fetcher, requests } = fakeFetch(elevenLabsError("not_found", "Voice not found"));
    const tts = new ElevenLabsTextToSpeech(settingsFrom(), { fetcher });
    const bad = (await tts.synthesize({ ...REQUEST, voice: "../x" }).catch((e: unknown) => e)) as ProviderError;
    expect(bad.options.refusal).toBe("voice");
    expect(requests).toHaveLength(0);
    const refused = (await tts.synthesize(REQUEST).catch((e: unknown) => e)) as ProviderError;
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused.options).toMatchObject({ status: 404, refusal: "voice" });
    expect(refused.message).toContain("Voice not found (voice_not_found)");
  });

  it("needs the key and takes a data-residency base URL", () => {
    expect(elevenLabsSettingsSchema.safeParse({}).success).toBe(false);
    const s = settingsFrom({ ELEVENLABS_BASE_URL: "https://api.eu.residency.elevenlabs.io/" });
    expect(s).toMatchObject({
      baseUrl: "https://api.eu.residency.elevenlabs.io",
      region: "api.eu.residency.elevenlabs.io",
    });
    expect(
      elevenLabsSettingsSchema.safeParse({ ELEVENLABS_API_KEY: KEY, ELEVENLABS_BASE_URL: "http://x.com" }).success,
    ).toBe(false);
  });
});
