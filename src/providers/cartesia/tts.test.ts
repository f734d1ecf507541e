import { describe, expect, it } from "vitest";
import { fakeFetch } from "../../../test/helpers/outbound";
import { MP3_BYTES } from "../../audio/test-signals";
import { ProviderError } from "../errors";
import { CARTESIA_VERSION, cartesiaSettingsSchema, DEFAULT_CARTESIA_VOICE } from "./settings";
import { KEY, settingsFrom } from "./test-support";
import { CartesiaTextToSpeech } from "./tts";

const REQUEST = { text: "Hello there.", language: "fr-FR", sampleRate: 16000 };

describe("Cartesia batch synthesis", () => {
  it("posts the generation request to /tts/bytes with a raw pcm_s16le output format", async () => {
    const { fetcher, requests } = fakeFetch(new Response(new Uint8Array([1, 0, 2, 0]), { status: 200 }));
    const result = await new CartesiaTextToSpeech(settingsFrom(), { fetcher }).synthesize(REQUEST);
    expect(result).toEqual({ kind: "pcm", samples: new Int16Array([1, 2]), sampleRate: 16000 });
    const req = requests[0]!;
    expect(`${req.method} ${req.url}`).toBe("POST https://api.cartesia.ai/tts/bytes");
    expect(req.headers.get("Authorization")).toBe(`Bearer ${KEY}`);
    expect(req.headers.get("Cartesia-Version")).toBe(CARTESIA_VERSION);
    expect(req.json()).toEqual({
      model_id: "sonic-3",
      transcript: "Hello there.",
      voice: { mode: "id", id: DEFAULT_CARTESIA_VOICE },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 16000 },
      language: "fr",
    });
  });

  it("asks for 24 kHz when the requested rate is not one of Cartesia's, and for MP3 when asked", async () => {
    const { fetcher, requests } = fakeFetch([
      new Response(new Uint8Array([1, 0]), { status: 200 }),
      new Response(MP3_BYTES, { status: 200, headers: { "Content-Type": "audio/mpeg" } }),
    ]);
    const tts = new CartesiaTextToSpeech(settingsFrom(), { fetcher });
    expect(await tts.synthesize({ ...REQUEST, sampleRate: 11025 })).toMatchObject({ sampleRate: 24000 });
    expect(await tts.synthesize({ ...REQUEST, encoding: "mp3" })).toMatchObject({ kind: "encoded", format: "mp3" });
    expect(requests.map((r) => (r.json() as { output_format: unknown }).output_format)).toEqual([
      { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
      { container: "mp3", sample_rate: 44100, bit_rate: 128000 },
    ]);
  });

  it("refuses a voice that is not a UUID before sending anything", async () => {
    const { fetcher, requests } = fakeFetch(new Response(null, { status: 500 }));
    const err = await new CartesiaTextToSpeech(settingsFrom(), { fetcher })
      .synthesize({ ...REQUEST, voice: "not-a-voice" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).options.refusal).toBe("voice");
    expect(requests).toHaveLength(0);
  });

  it("needs the key", () => {
    expect(cartesiaSettingsSchema.safeParse({}).success).toBe(false);
    expect(cartesiaSettingsSchema.safeParse({ CARTESIA_API_KEY: KEY, CARTESIA_VOICE: "x" }).success).toBe(false);
  });
});
