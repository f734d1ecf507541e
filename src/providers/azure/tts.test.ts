import { describe, expect, it } from "vitest";
import vorbis from "../../../test/fixtures/audio/balance-16k.ogg";
import { fakeFetch } from "../../../test/helpers/outbound";
import { samplesToPcm16 } from "../../audio/pcm";
import { ProviderError } from "../errors";
import type { TtsRequest, TtsResult } from "../types";
import { AzureTextToSpeech } from "./tts";
import { KEY, oggOpus, settings } from "./test-support";

const PCM = Int16Array.from([0, 1000, -1000, 32767, -32768, 42]);
// Three MPEG-2 Layer III frames (header FF F3 64 C4: 48 kbit/s at 24 kHz, as audio-24khz-48kbitrate-mono-mp3; 144 bytes
// each).
const FRAME = [0xff, 0xf3, 0x64, 0xc4, ...new Array<number>(140).fill(0)];
const MP3 = Uint8Array.from([...FRAME, ...FRAME, ...FRAME]);

const audio = (bytes: Uint8Array, contentType: string) =>
  new Response(bytes, { status: 200, headers: { "Content-Type": contentType } });

async function synth(req: Partial<TtsRequest>, answer: Response = audio(samplesToPcm16(PCM, true), "audio/x-wav")) {
  const { fetcher, requests } = fakeFetch(answer);
  const result = await new AzureTextToSpeech(settings(), { fetcher }).synthesize({
    text: "Your balance is 100 dollars.",
    language: "en-US",
    sampleRate: 16000,
    ...req,
  });
  return { result, request: requests[0]! };
}

describe("azure tts: the request on the wire", () => {
  it(
    "POSTs SSML to the regional endpoint with the key, " + "content type, output format and User-Agent headers",
    async () => {
      const { request } = await synth({});
      expect(request.method).toBe("POST");
      expect(request.url.toString()).toBe("https://westeurope.tts.speech.microsoft.com/cognitiveservices/v1");
      expect(request.headers.get("Ocp-Apim-Subscription-Key")).toBe(KEY);
      expect(request.headers.get("Content-Type")).toBe("application/ssml+xml");
      expect(request.headers.get("X-Microsoft-OutputFormat")).toBe("raw-16khz-16bit-mono-pcm");
      expect(request.headers.get("User-Agent")).toBe("voice-edge");
      expect(request.text()).toBe(
        "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>" +
          "<voice name='en-US-AvaMultilingualNeural'>Your balance is 100 dollars.</voice></speak>",
      );
    },
  );

  it("uses the request's voice and language over the configured default", async () => {
    const { request } = await synth({ voice: "de-DE-KatjaNeural", language: "de-DE" });
    expect(request.text()).toContain("xml:lang='de-DE'><voice name='de-DE-KatjaNeural'>");
  });

  it("escapes hostile text and attribute values so they cannot add or close elements", async () => {
    const { request } = await synth({
      text: "Tom & Jerry </voice><voice name='x'>\"hi\" <break time='20s'/>\u0007",
      voice: "en-US-Ava' onload='x",
    });
    const body = request.text();
    expect(body).toBe(
      "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>" +
        "<voice name='en-US-Ava&apos; onload=&apos;x'>" +
        "Tom &amp; Jerry &lt;/voice&gt;&lt;voice " +
        "name=&apos;x&apos;&gt;&quot;hi&quot; &lt;break time=&apos;20s&apos;/&gt; " +
        "</voice></speak>",
    );
    expect(body.match(/<voice/g)).toHaveLength(1);
    expect(body.match(/<\/voice>/g)).toHaveLength(1);
  });

  it.each([
    [8000, "raw-8khz-16bit-mono-pcm", 8000],
    [16000, "raw-16khz-16bit-mono-pcm", 16000],
    [22050, "raw-22050hz-16bit-mono-pcm", 22050],
    [24000, "raw-24khz-16bit-mono-pcm", 24000],
    [11025, "raw-24khz-16bit-mono-pcm", 24000], // no raw format at this rate: the voices' native 24 kHz
  ])("asks for PCM at %i Hz as %s and returns little-endian samples at %i Hz", async (rate, header, answeredRate) => {
    const { result, request } = await synth({ sampleRate: rate, encoding: "pcm" });
    expect(request.headers.get("X-Microsoft-OutputFormat")).toBe(header);
    expect(result).toEqual({ kind: "pcm", samples: PCM, sampleRate: answeredRate });
  });

  it.each([
    [24000, "audio-24khz-48kbitrate-mono-mp3"],
    [8000, "audio-16khz-32kbitrate-mono-mp3"],
  ])("asks for mp3 at %i Hz as %s and returns the bytes as encoded audio/mpeg", async (rate, header) => {
    const { result, request } = await synth({ sampleRate: rate, encoding: "mp3" }, audio(MP3, "audio/mpeg"));
    expect(request.headers.get("X-Microsoft-OutputFormat")).toBe(header);
    expect(result).toEqual({ kind: "encoded", format: "mp3", mediaType: "audio/mpeg", bytes: MP3 } satisfies TtsResult);
  });

  it.each([
    [24000, "ogg-24khz-16bit-mono-opus"],
    [16000, "ogg-16khz-16bit-mono-opus"],
  ])("asks for ogg at %i Hz as %s and returns Ogg Opus bytes", async (rate, header) => {
    const opus = oggOpus(1);
    const { result, request } = await synth({ sampleRate: rate, encoding: "ogg" }, audio(opus, "audio/ogg"));
    expect(request.headers.get("X-Microsoft-OutputFormat")).toBe(header);
    expect(result).toEqual({ kind: "encoded", format: "ogg", mediaType: "audio/ogg;codecs=opus", bytes: opus });
  });
});

describe("azure tts: refusals and unusable answers", () => {
  it.each(["", "   \n\t"])("refuses blank text %j as permanent without calling Azure", async (text) => {
    const { fetcher, requests } = fakeFetch(audio(samplesToPcm16(PCM, true), "audio/x-wav"));
    const err = await new AzureTextToSpeech(settings(), { fetcher })
      .synthesize({ text, language: "en-US", sampleRate: 16000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("permanent");
    expect(requests).toHaveLength(0);
  });

  it.each([
    ["an empty 200 body", { encoding: "pcm" as const }, new Response(new Uint8Array(0), { status: 200 })],
    [
      "a JSON body",
      { encoding: "pcm" as const },
      new Response('{"error":"x"}', { status: 200, headers: { "Content-Type": "application/json" } }),
    ],
    ["an odd number of PCM bytes", { encoding: "pcm" as const }, audio(new Uint8Array(5), "audio/x-wav")],
    ["Vorbis where mp3 was asked", { encoding: "mp3" as const }, audio(vorbis, "audio/mpeg")],
    ["mp3 where ogg was asked", { encoding: "ogg" as const }, audio(MP3, "audio/ogg")],
  ])("treats %s as invalid_response", async (_what, req, answer) => {
    const err = await synth(req, answer).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("invalid_response");
  });
});
