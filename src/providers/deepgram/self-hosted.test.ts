import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { samplesToPcm16 } from "../../audio/pcm";
import { DeepgramSpeechToText } from "./stt";
import { fixtureSamples, KEY, LISTEN_ANSWER, settingsFrom } from "./test-support";
import { DeepgramTextToSpeech } from "./tts";

// Deepgram self-hosted serves the hosted API's /v1/listen and /v1/speak on the deployer's host
// (https://developers.deepgram.com/docs/using-sdks-with-self-hosted): same requests, same answers.
describe("deepgram self-hosted (DEEPGRAM_BASE_URL)", () => {
  it(
    "sends /v1/listen to the base URL with the same query, " + "body and answer, and no Authorization without a key",
    async () => {
      const { fetcher, requests } = fakeFetch(jsonResponse(LISTEN_ANSWER));
      const stt = new DeepgramSpeechToText(settingsFrom({ DEEPGRAM_BASE_URL: "http://localhost:8080" }), { fetcher });
      expect(stt.region).toBe("localhost:8080");
      const { samples, sampleRate } = fixtureSamples();
      const result = await stt.transcribe({ kind: "pcm", samples, sampleRate, language: "en-US" });
      const req = requests[0]!;
      expect(req.url.href).toBe("http://localhost:8080/v1/listen?model=nova-3&smart_format=true&language=en-US");
      expect(req.method).toBe("POST");
      expect(req.headers.get("Content-Type")).toBe("audio/wav");
      expect(req.headers.has("Authorization")).toBe(false);
      expect(result).toMatchObject({ text: "Your balance is $100.", confidence: 0.99902344, source: "speech" });
    },
  );

  it("keeps a path prefix and sends the key when one is set (a gateway in front of the server)", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse(LISTEN_ANSWER));
    const settings = settingsFrom({
      DEEPGRAM_API_KEY: KEY,
      DEEPGRAM_BASE_URL: "https://speech.internal.example/deepgram/v1",
    });
    await new DeepgramSpeechToText(settings, { fetcher }).transcribe({
      kind: "pcm",
      samples: new Int16Array(160),
      sampleRate: 8000,
      language: "en-GB",
    });
    expect(requests[0]!.url.origin + requests[0]!.url.pathname).toBe(
      "https://speech.internal.example/deepgram/v1/listen",
    );
    expect(requests[0]!.headers.get("Authorization")).toBe(`Token ${KEY}`);
  });

  it("sends /v1/speak to the base URL", async () => {
    const pcm = samplesToPcm16(Int16Array.from([0, 900, -900]), true);
    const { fetcher, requests } = fakeFetch(new Response(pcm, { headers: { "Content-Type": "audio/l16" } }));
    const tts = new DeepgramTextToSpeech(settingsFrom({ DEEPGRAM_BASE_URL: "http://127.0.0.1:8080" }), { fetcher });
    expect(tts.region).toBe("127.0.0.1:8080");
    await tts.synthesize({ text: "Hello", language: "en-US", sampleRate: 16000 });
    expect(requests[0]!.url.href).toBe(
      "http://127.0.0.1:8080/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=16000&container=none",
    );
    expect(requests[0]!.json()).toEqual({ text: "Hello" });
    expect(requests[0]!.headers.has("Authorization")).toBe(false);
  });
});
