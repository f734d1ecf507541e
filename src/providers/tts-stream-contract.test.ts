/**
 * The streaming TTS contract (tts-stream-contract.ts) over every provider module with a `ttsStream`
 * adapter. A module that gains one without a fixture here fails the reach check. Each fixture says
 * what its provider's documented request looks like and how the provider refuses one (the same error
 * answers as the batch contract's fixtures).
 */
import { describe, expect, it } from "vitest";
import type { ContractFixture } from "./adapter-contract";
import type { HttpFixture } from "./adapter-contract-http";
import { KEY as AZURE_KEY, contractFixtures as azureBatch } from "./azure/test-support";
import { KEY as CARTESIA_KEY, cartesiaError } from "./cartesia/test-support";
import { CARTESIA_VERSION, DEFAULT_CARTESIA_VOICE } from "./cartesia/settings";
import { KEY as DEEPGRAM_KEY, contractFixtures as deepgramBatch } from "./deepgram/test-support";
import { KEY as ELEVENLABS_KEY, elevenLabsError } from "./elevenlabs/test-support";
import { TEST_KEY as OPENAI_KEY, contractFixtures as openaiBatch } from "./openai/test-support";
import { BASE_ENV, contractFixtures as pollyBatch, SECRET_ACCESS_KEY } from "./polly/test-support";
import { PROVIDER_MODULES } from "./registry";
import { REQUEST, ttsStreamContract, type StreamFixture, type WireRequest } from "./tts-stream-contract";

/** The provider's error answers, as its batch contract fixture words them. */
function failOf(fixtures: ContractFixture[]): StreamFixture["fail"] {
  const spec = fixtures[0] as ContractFixture & Partial<Pick<HttpFixture, "fail">>;
  if (typeof spec.fail !== "function") throw new Error("not an HTTP contract fixture");
  return spec.fail;
}

const json = (wire: WireRequest) => JSON.parse(wire.body) as Record<string, unknown>;

const FIXTURES: Record<string, StreamFixture> = {
  openai: {
    transport: "http",
    vars: { OPENAI_API_KEY: OPENAI_KEY },
    timeoutVar: "OPENAI_TIMEOUT_MS",
    secrets: [OPENAI_KEY],
    sampleRate: 24000,
    contentType: "audio/pcm",
    fail: failOf(openaiBatch),
    checkRequest(wire) {
      expect(`${wire.method} ${wire.url}`).toBe("POST https://api.openai.com/v1/audio/speech");
      expect(wire.headers.get("Authorization")).toBe(`Bearer ${OPENAI_KEY}`);
      expect(json(wire)).toEqual({
        model: "gpt-4o-mini-tts",
        input: REQUEST.text,
        voice: "alloy",
        response_format: "pcm",
      });
    },
  },
  deepgram: {
    transport: "http",
    vars: { DEEPGRAM_API_KEY: DEEPGRAM_KEY },
    timeoutVar: "DEEPGRAM_TIMEOUT_MS",
    secrets: [DEEPGRAM_KEY],
    sampleRate: 16000,
    contentType: "audio/l16",
    fail: failOf(deepgramBatch),
    checkRequest(wire) {
      expect(`${wire.method} ${wire.url.origin}${wire.url.pathname}`).toBe("POST https://api.deepgram.com/v1/speak");
      expect(Object.fromEntries(wire.url.searchParams)).toEqual({
        model: "aura-2-thalia-en",
        encoding: "linear16",
        sample_rate: "16000",
        container: "none",
      });
      expect(wire.headers.get("Authorization")).toBe(`Token ${DEEPGRAM_KEY}`);
      expect(json(wire)).toEqual({ text: REQUEST.text });
    },
  },
  azure: {
    transport: "http",
    vars: { AZURE_SPEECH_KEY: AZURE_KEY, AZURE_SPEECH_REGION: "westeurope" },
    timeoutVar: "AZURE_TIMEOUT_MS",
    secrets: [AZURE_KEY],
    sampleRate: 16000,
    contentType: "audio/x-wav",
    fail: failOf(azureBatch),
    checkRequest(wire) {
      expect(`${wire.method} ${wire.url}`).toBe(
        "POST https://westeurope.tts.speech.microsoft.com/cognitiveservices/v1",
      );
      expect(wire.headers.get("Ocp-Apim-Subscription-Key")).toBe(AZURE_KEY);
      expect(wire.headers.get("X-Microsoft-OutputFormat")).toBe("raw-16khz-16bit-mono-pcm");
      expect(wire.headers.get("Content-Type")).toBe("application/ssml+xml");
      expect(wire.headers.get("User-Agent")).toBeTruthy();
      expect(wire.body).toContain("<speak");
      expect(wire.body).toContain(REQUEST.text);
    },
  },
  polly: {
    transport: "http",
    vars: { ...BASE_ENV },
    timeoutVar: "POLLY_TIMEOUT_MS",
    secrets: [SECRET_ACCESS_KEY],
    sampleRate: 16000,
    contentType: "audio/pcm",
    fail: failOf(pollyBatch),
    checkRequest(wire) {
      expect(`${wire.method} ${wire.url}`).toBe("POST https://polly.us-east-1.amazonaws.com/v1/speech");
      expect(wire.headers.get("Authorization")).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIA/);
      expect(json(wire)).toEqual({
        Engine: "neural",
        LanguageCode: "en-US",
        OutputFormat: "pcm",
        SampleRate: "16000",
        Text: REQUEST.text,
        TextType: "text",
        VoiceId: "Joanna",
      });
    },
  },
  elevenlabs: {
    transport: "http",
    vars: { ELEVENLABS_API_KEY: ELEVENLABS_KEY },
    timeoutVar: "ELEVENLABS_TIMEOUT_MS",
    secrets: [ELEVENLABS_KEY],
    sampleRate: 16000,
    contentType: "audio/pcm",
    fail: elevenLabsError,
    checkRequest(wire) {
      // https://elevenlabs.io/docs/api-reference/text-to-speech/stream
      expect(`${wire.method} ${wire.url}`).toBe(
        "POST https://api.elevenlabs.io/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/stream?output_format=pcm_16000",
      );
      expect(wire.headers.get("xi-api-key")).toBe(ELEVENLABS_KEY);
      expect(json(wire)).toEqual({ text: REQUEST.text, model_id: "eleven_flash_v2_5" });
    },
  },
  cartesia: {
    transport: "websocket",
    vars: { CARTESIA_API_KEY: CARTESIA_KEY },
    timeoutVar: "CARTESIA_TIMEOUT_MS",
    secrets: [CARTESIA_KEY],
    sampleRate: 16000,
    fail: cartesiaError,
    checkRequest(wire) {
      // https://docs.cartesia.ai/2026-03-01/api-reference/tts/websocket
      expect(`${wire.url.origin}${wire.url.pathname}`).toBe("https://api.cartesia.ai/tts/websocket");
      expect(wire.url.searchParams.get("cartesia_version")).toBe(CARTESIA_VERSION);
      expect(wire.headers.get("Upgrade")).toBe("websocket");
      expect(wire.headers.get("Authorization")).toBe(`Bearer ${CARTESIA_KEY}`);
      expect(wire.headers.get("Cartesia-Version")).toBe(CARTESIA_VERSION);
      expect(wire.message).toEqual({
        model_id: "sonic-3",
        transcript: REQUEST.text,
        voice: { mode: "id", id: DEFAULT_CARTESIA_VOICE },
        language: "en",
        context_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 16000 },
        continue: false,
      });
    },
  },
};

const streaming = PROVIDER_MODULES.filter((m) => m.ttsStream);

describe("the streaming TTS contract's reach", () => {
  it("covers every provider module with a streaming adapter, and only those", () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(streaming.map((m) => m.name).sort());
  });
});

for (const module of streaming) {
  const fixture = FIXTURES[module.name];
  if (fixture) ttsStreamContract(module, fixture);
}
