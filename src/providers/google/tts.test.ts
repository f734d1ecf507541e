import { describe, expect, it } from "vitest";
import { encodeWav } from "../../audio/wav";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import type { TtsRequest } from "../types";
import { bytesToBase64 } from "../../lib/base64";
import { API_KEY, apiKeySettings, oggOpus, tone, wavBase64 } from "./test-support";
import { GoogleTextToSpeech } from "./tts";

interface SynthesizeBody {
  input: { text: string };
  voice: { languageCode: string; name?: string };
  audioConfig: { audioEncoding: string; sampleRateHertz?: number };
}

/** Two MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each), enough for the MP3 sniffer. */
const MP3_FRAME = (() => {
  const bytes = new Uint8Array(2 * 417);
  bytes.set([0xff, 0xfb, 0x90, 0x00], 0);
  bytes.set([0xff, 0xfb, 0x90, 0x00], 417);
  return bytes;
})();

async function synth(
  req: Partial<TtsRequest>,
  audioContent = wavBase64(tone(0.2, 16000), 16000),
  settings = apiKeySettings(),
) {
  const outbound = fakeFetch(jsonResponse({ audioContent }));
  const result = await new GoogleTextToSpeech(settings, { fetcher: outbound.fetcher }).synthesize({
    text: "Hello",
    language: "en-US",
    sampleRate: 16000,
    ...req,
  });
  expect(outbound.requests).toHaveLength(1);
  const sent = outbound.requests[0]!;
  return { result, sent, body: sent.json<SynthesizeBody>() };
}

describe("Google TTS request", () => {
  it("posts text:synthesize with the key header and asks LINEAR16 at the caller's rate for PCM", async () => {
    const { sent, body } = await synth({ text: "Your balance is one hundred dollars", sampleRate: 8000 });
    expect(sent.method).toBe("POST");
    expect(sent.url.href).toBe("https://texttospeech.googleapis.com/v1/text:synthesize");
    expect(sent.headers.get("x-goog-api-key")).toBe(API_KEY);
    expect(sent.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(body).toEqual({
      input: { text: "Your balance is one hundred dollars" },
      voice: { languageCode: "en-US" },
      audioConfig: { audioEncoding: "LINEAR16", sampleRateHertz: 8000 },
    });
  });

  it("sends markup-looking text verbatim as plain text (JSON-escaped, not SSML)", async () => {
    const text = `Say "<speak>" & 'quotes' — 100% ✓`;
    const { sent, body } = await synth({ text });
    expect(body.input).toEqual({ text });
    expect(sent.text()).toContain(JSON.stringify(text));
  });

  it("asks MP3 and OGG_OPUS at the voice's natural rate for encoded replies", async () => {
    const mp3 = await synth({ encoding: "mp3", sampleRate: 22050 }, bytesToBase64(MP3_FRAME));
    expect(mp3.body.audioConfig).toEqual({ audioEncoding: "MP3" });
    const ogg = await synth({ encoding: "ogg", sampleRate: 22050 }, bytesToBase64(oggOpus()));
    expect(ogg.body.audioConfig).toEqual({ audioEncoding: "OGG_OPUS" });
  });

  it("names the voice (request voice over GOOGLE_TTS_VOICE) and speaks in that voice's locale", async () => {
    const fromSettings = await synth({}, undefined, apiKeySettings({ ttsVoice: "en-GB-Neural2-B" }));
    expect(fromSettings.body.voice).toEqual({ languageCode: "en-GB", name: "en-GB-Neural2-B" });
    const fromRequest = await synth(
      { voice: "cmn-CN-Wavenet-A", language: "en-US" },
      undefined,
      apiKeySettings({ ttsVoice: "en-GB-Neural2-B" }),
    );
    expect(fromRequest.body.voice).toEqual({ languageCode: "cmn-CN", name: "cmn-CN-Wavenet-A" });
  });

  it("uses the regional host for GOOGLE_LOCATION=eu", async () => {
    const { sent } = await synth({}, undefined, apiKeySettings({ location: "eu" }));
    expect(sent.url.host).toBe("eu-texttospeech.googleapis.com");
    expect(new GoogleTextToSpeech(apiKeySettings({ location: "eu" })).region).toBe("eu");
  });

  it("declares pcm, mp3 and ogg", () => {
    expect(new GoogleTextToSpeech(apiKeySettings()).encodings).toEqual(["pcm", "mp3", "ogg"]);
  });
});

describe("Google TTS response", () => {
  it("strips the WAV header Google puts on LINEAR16 and returns the samples at the header's rate", async () => {
    const samples = tone(0.25, 24000);
    const { result } = await synth({ sampleRate: 24000 }, bytesToBase64(encodeWav(samples, 24000)));
    expect(result.kind ?? "pcm").toBe("pcm");
    if (result.kind === "encoded") throw new Error("expected PCM");
    expect(result.sampleRate).toBe(24000);
    expect(result.samples).toEqual(samples);
  });

  it("returns MP3 and Ogg Opus bytes as they came", async () => {
    const mp3 = await synth({ encoding: "mp3" }, bytesToBase64(MP3_FRAME));
    expect(mp3.result).toEqual({ kind: "encoded", format: "mp3", mediaType: "audio/mpeg", bytes: MP3_FRAME });
    const oggBytes = oggOpus();
    const ogg = await synth({ encoding: "ogg" }, bytesToBase64(oggBytes));
    expect(ogg.result).toEqual({ kind: "encoded", format: "ogg", mediaType: "audio/ogg;codecs=opus", bytes: oggBytes });
  });

  it("calls a 200 whose audio is not what was asked for invalid_response", async () => {
    const cases: [Partial<TtsRequest>, string][] = [
      [{}, bytesToBase64(new TextEncoder().encode("not a wav file"))],
      [{}, "%%% not base64 %%%"],
      [{ encoding: "mp3" }, bytesToBase64(oggOpus())],
      [{ encoding: "ogg" }, bytesToBase64(MP3_FRAME)],
    ];
    for (const [req, audioContent] of cases) {
      const err = await synth(req, audioContent).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).kind).toBe("invalid_response");
    }
  });
});

describe("Google TTS refusals (before any call)", () => {
  async function refused(req: Partial<TtsRequest>, settings = apiKeySettings()): Promise<ProviderError> {
    const outbound = fakeFetch(jsonResponse({ audioContent: "" }));
    const err = await new GoogleTextToSpeech(settings, { fetcher: outbound.fetcher })
      .synthesize({ text: "Hello", language: "en-US", sampleRate: 16000, ...req })
      .catch((e: unknown) => e);
    expect(outbound.requests).toHaveLength(0);
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }

  it("refuses empty or blank text as permanent", async () => {
    expect((await refused({ text: "" })).kind).toBe("permanent");
    expect((await refused({ text: "  \n\t " })).kind).toBe("permanent");
  });

  it("refuses text over Google's 5000-byte request limit (counted in UTF-8 bytes)", async () => {
    const err = await refused({ text: "é".repeat(2501) });
    expect(err.kind).toBe("permanent");
    expect(err.message).toMatch(/5002 bytes/);
  });

  it("refuses a voice that is not a Google voice name", async () => {
    const err = await refused({ voice: "gmw/en-US+f3" });
    expect(err.kind).toBe("permanent");
    expect(err.message).toMatch(/not a Google Text-to-Speech voice name/);
  });
});
