/**
 * The streaming STT contract (stt-stream-contract.ts) over every streaming recogniser: each fixture
 * plays its provider with the frames and close codes the provider documents. A module with
 * `sttStream` and no fixture here fails the first test.
 */
import { describe, expect, it } from "vitest";
import { assemblyAiSettingsSchema } from "./assemblyai/settings";
import { AssemblyAiStreamingSpeechToText } from "./assemblyai/stt-stream";
import { KEY as DG_KEY, settings as deepgramSettings } from "./deepgram/test-support";
import { DeepgramStreamingSpeechToText } from "./deepgram/stt-stream";
import { PROVIDER_MODULES } from "./registry";
import { sttStreamContract, type ProviderEnd, type StreamFixture } from "./stt-stream-contract";
import { settingsWith } from "./workers-ai/test-support";
import { WorkersAiStreamingSpeechToText } from "./workers-ai/stt-stream";

const AAI_KEY = "aai-test-key-0123456789abcdef0123456789";
const REQUEST_ID = "9e8a1c9b-7f0e-4f55-8a3e-2b6d3f1e0c4a";

/** Nova's `Results` (https://developers.deepgram.com/reference/speech-to-text/listen-streaming). */
const results = (transcript: string, isFinal: boolean, speechFinal: boolean, extra = {}) => ({
  type: "Results",
  channel_index: [0, 1],
  duration: 1.2,
  start: 0,
  is_final: isFinal,
  speech_final: speechFinal,
  channel: {
    alternatives: [
      {
        transcript,
        confidence: 0.98,
        words: transcript
          .split(" ")
          .map((word, i) => ({ word: word.toLowerCase(), start: i * 0.3, end: i * 0.3 + 0.25, confidence: 0.98 })),
      },
    ],
  },
  metadata: { request_id: REQUEST_ID, model_info: { name: "general-nova-3" } },
  ...extra,
});

/** Flux's `TurnInfo` (https://developers.deepgram.com/reference/speech-to-text/listen-flux). */
let sequence = 0;
const turnInfo = (event: string, transcript: string, eot = 0.1) => ({
  type: "TurnInfo",
  request_id: REQUEST_ID,
  sequence_id: ++sequence,
  event,
  turn_index: 0,
  audio_window_start: 0,
  audio_window_end: 1.5,
  transcript,
  words: transcript ? transcript.split(" ").map((word) => ({ word, confidence: 0.95 })) : [],
  end_of_turn_confidence: eot,
});

const KEEP_ALIVE = '{"type":"KeepAlive"}';

const nova = {
  interim: (text: string) => results(text, false, false),
  endOfTurn: (text: string) => [results(text, true, true)],
  // Nova reports failures in the close frame: 1008 with DATA-0000 for audio it cannot decode.
  providerError: {
    send: (end: ProviderEnd, text: string) => end.close(1008, `DATA-0000: ${text}`.slice(0, 120)),
    kind: "permanent" as const,
    says: "failed to process audio",
  },
  finishFrames: ['{"type":"Finalize"}', '{"type":"CloseStream"}'],
  finishAnswer: (end: ProviderEnd) => {
    end.send(results("card number", true, false, { from_finalize: true }));
    end.send({ type: "Metadata", request_id: REQUEST_ID, duration: 1.2, channels: 1 });
    end.close(1000);
  },
  keepAlive: KEEP_ALIVE,
};

const flux = {
  interim: (text: string) => turnInfo("Update", text),
  endOfTurn: (text: string) => [turnInfo("EndOfTurn", text, 0.92)],
  providerError: {
    send: (end: ProviderEnd, text: string) => {
      end.send({ type: "Error", sequence_id: ++sequence, code: "INTERNAL_SERVER_ERROR", description: text });
      end.close(1011);
    },
    kind: "retryable" as const,
    says: "internal server error",
  },
  finishFrames: ['{"type":"CloseStream"}'],
  // Flux sends its last Updates and closes without a status code (docs/flux/close-stream).
  finishAnswer: (end: ProviderEnd) => {
    end.send(turnInfo("Update", "card number"));
    end.close();
  },
  keepAlive: KEEP_ALIVE,
};

const workersAi =
  (model: "@cf/deepgram/flux" | "@cf/deepgram/nova-3") =>
  (open: (s: AbortSignal) => Promise<Response>, timeoutMs: number) =>
    new WorkersAiStreamingSpeechToText(
      settingsWith(
        { run: () => Promise.reject(new Error("unused")) },
        { WORKERS_AI_STT_STREAMING_MODEL: model, WORKERS_AI_TIMEOUT_MS: String(timeoutMs) },
      ),
      { connect: (_model, _inputs, signal) => open(signal) },
    );

const FIXTURES: Record<string, StreamFixture[]> = {
  deepgram: [
    {
      label: "deepgram nova-3",
      build: (open, timeoutMs) =>
        new DeepgramStreamingSpeechToText(deepgramSettings({ timeoutMs }), {
          connect: (_url, init) => open(init!.signal!),
        }),
      secret: DG_KEY,
      ...nova,
    },
    {
      label: "deepgram flux",
      build: (open, timeoutMs) =>
        new DeepgramStreamingSpeechToText(deepgramSettings({ timeoutMs, streamModel: "flux-general-en" }), {
          connect: (_url, init) => open(init!.signal!),
        }),
      secret: DG_KEY,
      ...flux,
    },
  ],
  "workers-ai": [
    { label: "workers-ai @cf/deepgram/flux", build: workersAi("@cf/deepgram/flux"), ...flux },
    { label: "workers-ai @cf/deepgram/nova-3", build: workersAi("@cf/deepgram/nova-3"), ...nova },
  ],
  assemblyai: [
    {
      label: "assemblyai universal-streaming",
      build: (open, timeoutMs) =>
        new AssemblyAiStreamingSpeechToText(
          assemblyAiSettingsSchema.parse({ ASSEMBLYAI_API_KEY: AAI_KEY, ASSEMBLYAI_TIMEOUT_MS: String(timeoutMs) }),
          { connect: (_url, init) => open(init!.signal!) },
        ),
      secret: AAI_KEY,
      interim: (text) => aaiTurn(text, false, false),
      endOfTurn: (text) => [aaiTurn(text.toLowerCase().replace(/[?.]/g, ""), true, false), aaiTurn(text, true, true)],
      // https://www.assemblyai.com/docs/streaming/common-session-errors-and-closures
      providerError: {
        send: (end, text) => {
          end.send({ type: "Error", error_code: 1008, error: `Unauthorized Connection: ${text}` });
          end.close(1008, "See Error message for details");
        },
        kind: "auth",
        says: "Unauthorized Connection: Missing Authorization header",
      },
      finishFrames: ['{"type":"Terminate"}'],
      finishAnswer: (end) => {
        end.send(aaiTurn("Card number.", true, true));
        end.send({ type: "Termination", audio_duration_seconds: 1, session_duration_seconds: 2 });
        end.close(1000);
      },
      frameBytes: { min: 1600, max: 32_000 },
    },
  ],
};

/** A `Turn` (https://www.assemblyai.com/docs/streaming/message-sequence); times in ms. */
function aaiTurn(transcript: string, endOfTurn: boolean, formatted: boolean) {
  const words = transcript.split(" ").map((text, i) => ({
    start: 1920 + i * 400,
    end: 2200 + i * 400,
    text,
    confidence: 0.9,
    word_is_final: endOfTurn,
  }));
  return {
    type: "Turn",
    turn_order: 0,
    turn_is_formatted: formatted,
    end_of_turn: endOfTurn,
    transcript: endOfTurn ? transcript : "",
    end_of_turn_confidence: endOfTurn ? 0.8 : 0.02,
    words,
    utterance: "",
  };
}

describe("the streaming STT contract's reach", () => {
  it("covers every module with a streaming recogniser, and only those", () => {
    const streaming = PROVIDER_MODULES.filter((m) => m.sttStream).map((m) => m.name);
    expect(Object.keys(FIXTURES).sort()).toEqual(streaming.sort());
  });
});

for (const fixtures of Object.values(FIXTURES)) for (const fixture of fixtures) sttStreamContract(fixture);
