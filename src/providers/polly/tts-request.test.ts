import { describe, expect, it } from "vitest";
import { audioResponse, pcmBytes, pollyWith } from "./test-support";

/**
 * The request the SDK puts on the wire for SynthesizeSpeech, checked field by field against
 * https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html:
 * `POST /v1/speech`, `Content-type: application/json`, body {Engine, LanguageCode, OutputFormat,
 * SampleRate (a string), Text, TextType, VoiceId}.
 */
const PCM_OK = audioResponse(pcmBytes([0, 1000, -1000, 0]), "audio/pcm");
const MP3_OK = audioResponse(new Uint8Array([0xff, 0xfb, 0x90, 0x64, 0x00]), "audio/mpeg");
const OGG_OK = audioResponse(new TextEncoder().encode("OggS\0\x02rest"), "audio/ogg");

const request = { text: "Your balance is one hundred dollars", language: "en-US", sampleRate: 16000 };

describe("polly request", () => {
  it("POSTs JSON to https://polly.<region>.amazonaws.com/v1/speech with the documented body", async () => {
    const { tts, requests } = pollyWith(PCM_OK);
    await tts.synthesize(request);

    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url.href).toBe("https://polly.us-east-1.amazonaws.com/v1/speech");
    expect(req.url.search).toBe("");
    expect(req.headers.get("content-type")).toBe("application/json");
    expect(req.json()).toStrictEqual({
      Text: "Your balance is one hundred dollars",
      TextType: "text",
      VoiceId: "Joanna",
      Engine: "neural",
      OutputFormat: "pcm",
      SampleRate: "16000",
      LanguageCode: "en-US",
    });
  });

  it("uses the configured region, voice and engine, and a request's own voice over the default", async () => {
    const { tts, requests } = pollyWith(PCM_OK, {
      POLLY_REGION: "eu-central-1",
      POLLY_VOICE: "Vicki",
      POLLY_ENGINE: "generative",
    });
    await tts.synthesize({ ...request, language: "de-DE" });
    await tts.synthesize({ ...request, language: "de-DE", voice: "Daniel" });

    expect(requests.map((r) => r.url.host)).toStrictEqual([
      "polly.eu-central-1.amazonaws.com",
      "polly.eu-central-1.amazonaws.com",
    ]);
    expect(requests[0]!.json()).toMatchObject({ VoiceId: "Vicki", Engine: "generative", LanguageCode: "de-DE" });
    expect(requests[1]!.json()).toMatchObject({ VoiceId: "Daniel", Engine: "generative" });
    expect(tts.region).toBe("eu-central-1");
    expect(tts.name).toBe("polly");
  });

  it("sends to POLLY_ENDPOINT when set (e.g. a FIPS endpoint)", async () => {
    const { tts, requests } = pollyWith(PCM_OK, {
      POLLY_ENDPOINT: "https://polly-fips.us-west-2.amazonaws.com",
      POLLY_REGION: "us-west-2",
    });
    await tts.synthesize(request);
    expect(requests[0]!.url.href).toBe("https://polly-fips.us-west-2.amazonaws.com/v1/speech");
    expect(requests[0]!.method).toBe("POST");
  });

  it("sends the text as plain text, never as SSML markup", async () => {
    const { tts, requests } = pollyWith(PCM_OK);
    const text = `Tom & Jerry <speak>"quoted"</speak> café 👋`;
    await tts.synthesize({ ...request, text });
    expect(requests[0]!.json()).toMatchObject({ Text: text, TextType: "text" });
  });

  it.each([
    [16000, "16000"],
    [24000, "16000"],
    [48000, "16000"],
    [11025, "16000"],
    [8000, "8000"],
  ])("asks for pcm at a rate Polly offers (requested %i Hz → SampleRate %s)", async (sampleRate, expected) => {
    const { tts, requests } = pollyWith(PCM_OK);
    await tts.synthesize({ ...request, sampleRate });
    expect(requests[0]!.json()).toMatchObject({ OutputFormat: "pcm", SampleRate: expected });
  });

  it.each([
    ["neural", 48000, "24000"],
    ["neural", 24000, "24000"],
    ["neural", 22050, "22050"],
    ["neural", 16000, "16000"],
    ["neural", 8000, "8000"],
    ["standard", 48000, "22050"],
    ["generative", 44100, "24000"],
  ])(
    "asks %s mp3/ogg at the closest rate not " + "above the request (%i Hz → %s)",
    async (engine, sampleRate, expected) => {
      const { tts, requests } = pollyWith([MP3_OK, OGG_OK], { POLLY_ENGINE: engine });
      await tts.synthesize({ ...request, sampleRate, encoding: "mp3" });
      await tts.synthesize({ ...request, sampleRate, encoding: "ogg" });
      expect(requests[0]!.json()).toMatchObject({ OutputFormat: "mp3", SampleRate: expected });
      expect(requests[1]!.json()).toMatchObject({ OutputFormat: "ogg_vorbis", SampleRate: expected });
    },
  );

  it("sends LanguageCode in Polly's spelling, and leaves out a language Polly does not list", async () => {
    const { tts, requests } = pollyWith(PCM_OK);
    await tts.synthesize({ ...request, language: "en-gb" });
    await tts.synthesize({ ...request, language: "cmn-CN" });
    await tts.synthesize({ ...request, language: "en" });
    await tts.synthesize({ ...request, language: "xx-YY" });
    expect(requests[0]!.json()).toMatchObject({ LanguageCode: "en-GB" });
    expect(requests[1]!.json()).toMatchObject({ LanguageCode: "cmn-CN" });
    expect(requests[2]!.json()).not.toHaveProperty("LanguageCode");
    expect(requests[3]!.json()).not.toHaveProperty("LanguageCode");
  });

  it("does not retry on its own: one failure is one request (the resilience layer retries)", async () => {
    const { tts, requests } = pollyWith(
      new Response(JSON.stringify({ message: "boom" }), {
        status: 500,
        headers: { "x-amzn-ErrorType": "ServiceFailureException" },
      }),
    );
    await expect(tts.synthesize(request)).rejects.toMatchObject({ kind: "retryable" });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.get("amz-sdk-request")).toBe("attempt=1; max=1");
  });
});
