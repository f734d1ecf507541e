import { describe, expect, it, vi } from "vitest";
import { OPTIONS, ProviderEnd, recorder } from "../stt-stream-contract";
import { DeepgramStreamingSpeechToText } from "./stt-stream";
import { KEY, settings, settingsFrom } from "./test-support";

async function open(overrides: Parameters<typeof settings>[0] = {}, language = "en-US") {
  const end = new ProviderEnd();
  const requests: Request[] = [];
  const rec = recorder();
  const engine = new DeepgramStreamingSpeechToText(settings(overrides), {
    connect: async (input, init) => {
      requests.push(new Request(input, init));
      return end.accepted();
    },
  });
  const stream = await engine.open({ ...OPTIONS, language }, rec.onEvent);
  return { engine, end, rec, stream, requests };
}

const results = (transcript: string, is_final: boolean, speech_final: boolean, confidence = 0.9) => ({
  type: "Results",
  is_final,
  speech_final,
  channel: { alternatives: [{ transcript, confidence, words: [] }] },
});

describe("deepgram streaming: the upgrade request", () => {
  it("opens /v1/listen (an https fetch with Upgrade) with Nova's query and the Token header", async () => {
    const { requests, stream } = await open({ region: "eu" }, "de-DE");
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const url = new URL(requests[0]!.url);
    expect(url.origin + url.pathname).toBe("https://api.eu.deepgram.com/v1/listen");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      model: "nova-3",
      encoding: "linear16",
      sample_rate: "16000",
      language: "de",
      interim_results: "true",
      endpointing: "300",
      utterance_end_ms: "1000",
      vad_events: "true",
      smart_format: "true",
    });
    expect(requests[0]!.headers.get("Upgrade")).toBe("websocket");
    expect(requests[0]!.headers.get("Authorization")).toBe(`Token ${KEY}`);
    stream.close();
  });

  it("opens /v2/listen for Flux, with the thresholds only when configured, and says whether it is eager", async () => {
    const plain = await open({ streamModel: "flux-general-en" });
    await vi.waitFor(() => expect(plain.requests).toHaveLength(1));
    expect(plain.requests[0]!.url).toBe(
      "https://api.deepgram.com/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000",
    );
    expect(plain.engine.eagerEndOfTurn).toBe(false);
    const eager = await open({ streamModel: "flux-general-en", eotThreshold: 0.8, eagerEotThreshold: 0.4 });
    await vi.waitFor(() => expect(eager.requests).toHaveLength(1));
    expect(new URL(eager.requests[0]!.url).searchParams.get("eot_threshold")).toBe("0.8");
    expect(new URL(eager.requests[0]!.url).searchParams.get("eager_eot_threshold")).toBe("0.4");
    expect(eager.engine.eagerEndOfTurn).toBe(true);
    plain.stream.close();
    eager.stream.close();
  });

  it("reads the streaming settings from vars, and refuses thresholds out of Flux's range", () => {
    const s = settingsFrom({
      DEEPGRAM_API_KEY: KEY,
      DEEPGRAM_STREAMING_MODEL: "flux-general-en",
      DEEPGRAM_EAGER_EOT_THRESHOLD: "0.5",
    });
    expect(s).toMatchObject({ streamModel: "flux-general-en", eagerEotThreshold: 0.5 });
    expect(s).not.toHaveProperty("eotThreshold");
    expect(() => settingsFrom({ DEEPGRAM_API_KEY: KEY, DEEPGRAM_EAGER_EOT_THRESHOLD: "0.95" })).toThrow();
  });

  it("refuses a language Flux English cannot hear before opening any socket", async () => {
    const { rec, requests } = await open({ streamModel: "flux-general-en" }, "fr-FR");
    await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
    expect(rec.errors()[0]).toMatchObject({ kind: "permanent", options: { refusal: "language" } });
    expect(requests).toHaveLength(0);
  });
});

describe("deepgram streaming: Nova's frames", () => {
  it("ends the turn at speech_final with its finals joined; interims carry the finals before them", async () => {
    const { end, rec, stream } = await open();
    end.send({ type: "SpeechStarted", channel: [0], timestamp: 0.2 });
    end.send(results("my card", false, false));
    end.send(results("My card number", true, false, 0.8));
    end.send(results("is four", false, false));
    end.send(results("is 4242.", true, true, 1));
    await vi.waitFor(() => expect(rec.types()).toContain("end_of_turn"));
    expect(rec.events).toEqual([
      { type: "speech_started" },
      { type: "interim", text: "my card" },
      { type: "segment", text: "My card number", confidence: 0.8 },
      { type: "interim", text: "My card number is four" },
      // The last stretch is told once, in the end of turn: no segment the client would echo first.
      { type: "end_of_turn", text: "My card number is 4242.", confidence: 0.9 },
    ]);
    stream.close();
  });

  it("ends the turn at UtteranceEnd when no speech_final came, and not twice", async () => {
    const { end, rec, stream } = await open();
    end.send(results("Hello there.", true, false));
    end.send({ type: "UtteranceEnd", channel: [0, 1], last_word_end: 2.1 });
    end.send({ type: "UtteranceEnd", channel: [0, 1], last_word_end: 2.1 });
    end.send(results("Next.", true, true));
    await vi.waitFor(() => expect(rec.types().filter((t) => t === "end_of_turn")).toHaveLength(2));
    expect(rec.events.filter((e) => e.type === "end_of_turn").map((e) => (e as { text: string }).text)).toEqual([
      "Hello there.",
      "Next.",
    ]);
    stream.close();
  });

  it("reads a 1008 DATA-0000 close as permanent and a 1011 NET-0001 close as retryable", async () => {
    for (const [code, reason, kind] of [
      [1008, "DATA-0000: The payload cannot be decoded as audio.", "permanent"],
      [1011, "NET-0001: Deepgram did not receive audio data or a text message within the timeout window.", "retryable"],
    ] as const) {
      const { end, rec } = await open();
      end.close(code, reason);
      await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
      expect(rec.errors()[0]!.kind).toBe(kind);
      expect(rec.errors()[0]!.message).toContain(reason.slice(0, 9));
    }
  });

  it("reads a known frame out of shape as invalid_response, and skips unknown frame types", async () => {
    const { end, rec } = await open();
    end.send({ type: "SomethingNew", x: 1 });
    end.send({ type: "Results", channel: "nope" });
    await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
    expect(rec.errors()[0]!.kind).toBe("invalid_response");
  });
});

describe("deepgram streaming: Flux's frames", () => {
  const turn = (event: string, transcript: string) => ({
    type: "TurnInfo",
    request_id: "r",
    sequence_id: 1,
    event,
    turn_index: 0,
    audio_window_start: 0,
    audio_window_end: 1,
    transcript,
    words: transcript ? transcript.split(" ").map((word) => ({ word, confidence: 0.5 })) : [],
    end_of_turn_confidence: 0.5,
  });

  it("maps StartOfTurn, Update, EagerEndOfTurn, TurnResumed and EndOfTurn in order", async () => {
    const { end, rec, stream } = await open({ streamModel: "flux-general-en", eagerEotThreshold: 0.4 });
    end.send({ type: "Connected", request_id: "r", sequence_id: 0 });
    end.send(turn("StartOfTurn", ""));
    end.send(turn("Update", "I want"));
    end.send(turn("EagerEndOfTurn", "I want to pay"));
    end.send(turn("TurnResumed", "I want to pay my"));
    end.send(turn("EndOfTurn", "I want to pay my bill"));
    await vi.waitFor(() => expect(rec.types()).toContain("end_of_turn"));
    expect(rec.events).toEqual([
      { type: "speech_started" },
      { type: "interim", text: "I want" },
      { type: "eager_end_of_turn", text: "I want to pay" },
      { type: "turn_resumed" },
      { type: "interim", text: "I want to pay my" },
      { type: "end_of_turn", text: "I want to pay my bill", confidence: 0.5 },
    ]);
    stream.close();
  });
});
