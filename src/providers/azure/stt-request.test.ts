import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { pcm16ToSamples } from "../../audio/pcm";
import { resample } from "../../audio/resample";
import { parseWav } from "../../audio/wav";
import { AzureSpeechToText } from "./stt";
import { fixtureSamples, KEY, oggOpus, settings } from "./test-support";

// The documented `detailed` example (rest-speech-to-text-short#sample-responses).
const DETAILED = {
  RecognitionStatus: "Success",
  Offset: "1236645672289",
  Duration: "1236645672289",
  NBest: [
    {
      Confidence: 0.9052885,
      Display: "What's the weather like?",
      ITN: "what's the weather like",
      Lexical: "what's the weather like",
      MaskedITN: "what's the weather like",
    },
  ],
};

describe("azure stt: the request on the wire", () => {
  it("POSTs 16 kHz PCM as a WAV body to the regional short-audio endpoint with the documented headers", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse(DETAILED));
    const { samples, sampleRate } = fixtureSamples();
    expect(sampleRate).toBe(16000);
    await new AzureSpeechToText(settings(), { fetcher }).transcribe({
      kind: "pcm",
      samples,
      sampleRate,
      language: "en-US",
    });

    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url.origin).toBe("https://westeurope.stt.speech.microsoft.com");
    expect(req.url.pathname).toBe("/speech/recognition/conversation/cognitiveservices/v1");
    expect([...req.url.searchParams]).toEqual([
      ["language", "en-US"],
      ["format", "detailed"],
    ]);
    expect(req.headers.get("Ocp-Apim-Subscription-Key")).toBe(KEY);
    expect(req.headers.get("Content-Type")).toBe("audio/wav; codecs=audio/pcm; samplerate=16000");
    expect(req.headers.get("Accept")).toBe("application/json");
    expect(req.url.toString()).not.toContain(KEY); // the key travels in a header only

    const sent = parseWav(req.body);
    expect(sent).toMatchObject({ encoding: "pcm16", sampleRate: 16000, channels: 1 });
    expect(pcm16ToSamples(sent.data, true)).toEqual(samples);
  });

  it("resamples other rates to the 16 kHz the API documents", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse(DETAILED));
    const { samples } = fixtureSamples();
    const at8k = resample(samples, 16000, 8000);
    await new AzureSpeechToText(settings(), { fetcher }).transcribe({
      kind: "pcm",
      samples: at8k,
      sampleRate: 8000,
      language: "en-GB",
    });
    const sent = parseWav(requests[0]!.body);
    expect(sent.sampleRate).toBe(16000);
    expect(pcm16ToSamples(sent.data, true)).toEqual(resample(at8k, 8000, 16000));
    expect(requests[0]!.url.searchParams.get("language")).toBe("en-GB");
  });

  it("passes Ogg Opus through untouched as audio/ogg; codecs=opus", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse(DETAILED));
    const bytes = oggOpus(3);
    await new AzureSpeechToText(settings({ region: "eastus" }), { fetcher }).transcribe({
      kind: "container",
      container: "ogg",
      mediaType: "audio/ogg;codecs=opus",
      bytes,
      language: "en-US",
    });
    const req = requests[0]!;
    expect(req.url.host).toBe("eastus.stt.speech.microsoft.com");
    expect(req.headers.get("Content-Type")).toBe("audio/ogg; codecs=opus");
    expect(req.body).toEqual(bytes);
  });
});
