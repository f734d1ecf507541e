import { describe, expect, it, vi } from "vitest";
import { readSettings } from "../settings";
import { OPTIONS, ProviderEnd, recorder } from "../stt-stream-contract";
import { assemblyAiModule } from "./index";
import { assemblyAiSettingsSchema } from "./settings";
import { AssemblyAiStreamingSpeechToText } from "./stt-stream";

const KEY = "aai-unit-key-0123456789abcdef012345";

async function open(vars: Record<string, string> = {}, language = "en-US") {
  const end = new ProviderEnd();
  const requests: Request[] = [];
  const rec = recorder();
  const engine = new AssemblyAiStreamingSpeechToText(
    assemblyAiSettingsSchema.parse({ ASSEMBLYAI_API_KEY: KEY, ...vars }),
    {
      connect: async (input, init) => {
        requests.push(new Request(input, init));
        return end.accepted();
      },
    },
  );
  const stream = await engine.open({ ...OPTIONS, language }, rec.onEvent);
  return { engine, end, rec, stream, requests };
}

const turn = (transcript: string, end_of_turn: boolean, turn_is_formatted: boolean, forming?: string) => ({
  type: "Turn",
  turn_order: 0,
  turn_is_formatted,
  end_of_turn,
  transcript,
  end_of_turn_confidence: 0.5,
  words: [
    ...(transcript ? transcript.split(" ") : []).map((text, i) => ({
      start: 100 * i,
      end: 100 * i + 80,
      text,
      confidence: 0.8,
      word_is_final: true,
    })),
    ...(forming ? [{ start: 900, end: 980, text: forming, confidence: 0.4, word_is_final: false }] : []),
  ],
  utterance: "",
});

describe("assemblyai settings", () => {
  it("needs the key; the nearest region, the English model and 10 s by default; us, eu, a base URL on request", () => {
    expect(readSettings(assemblyAiModule, { ASSEMBLYAI_API_KEY: KEY } as unknown as Env)).toEqual({
      key: KEY,
      region: "global",
      baseUrl: "https://streaming.assemblyai.com",
      streamModel: "universal-streaming-english",
      timeoutMs: 10_000,
    });
    expect(assemblyAiSettingsSchema.parse({ ASSEMBLYAI_API_KEY: KEY, ASSEMBLYAI_REGION: "eu" }).baseUrl).toBe(
      "https://streaming.eu.assemblyai.com",
    );
    expect(assemblyAiSettingsSchema.parse({ ASSEMBLYAI_API_KEY: KEY, ASSEMBLYAI_REGION: "us" }).baseUrl).toBe(
      "https://streaming.us.assemblyai.com",
    );
    const proxied = assemblyAiSettingsSchema.parse({
      ASSEMBLYAI_API_KEY: KEY,
      ASSEMBLYAI_BASE_URL: "https://gw.example/aai",
    });
    expect(proxied).toMatchObject({ baseUrl: "https://gw.example/aai", region: "gw.example/aai" });
    const missing = assemblyAiSettingsSchema.safeParse({ ASSEMBLYAI_API_KEY: " " });
    expect(missing.success ? [] : missing.error.issues.map((i) => i.path.join("."))).toEqual(["ASSEMBLYAI_API_KEY"]);
  });
});

describe("assemblyai streaming", () => {
  it("opens /v3/ws with the documented query and the bare key as Authorization", async () => {
    const { requests, stream, engine } = await open();
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(requests[0]!.url).toBe(
      "https://streaming.assemblyai.com/v3/ws?sample_rate=16000&encoding=pcm_s16le" +
        "&speech_model=universal-streaming-english&format_turns=true",
    );
    expect(requests[0]!.headers.get("Authorization")).toBe(KEY);
    expect(requests[0]!.headers.get("Upgrade")).toBe("websocket");
    expect(engine.eagerEndOfTurn).toBe(false);
    stream.close();
  });

  it("sends audio in 50-1000 ms frames: 20 ms chunks are gathered, a long chunk is split", async () => {
    const { end, stream } = await open();
    for (let i = 0; i < 5; i++) stream.send(new Int16Array(320)); // 5 x 20 ms
    stream.send(new Int16Array(40_000)); // 2.5 s
    await vi.waitFor(() => expect(end.audioBytes()).toBeGreaterThanOrEqual(80_000));
    for (const frame of end.binary) {
      expect(frame.length).toBeGreaterThanOrEqual(1600);
      expect(frame.length).toBeLessThanOrEqual(32_000);
    }
    stream.close();
  });

  it("ends the turn with the formatted transcript only, the forming word in the interim", async () => {
    const { end, rec, stream } = await open();
    end.send({ type: "Begin", id: "de5d9927-73a6-4be8-b52d-b4c07be37e6b", expires_at: 1759796682 });
    end.send({ type: "SpeechStarted", timestamp: 1900 });
    end.send(turn("hi my", false, false, "name"));
    end.send(turn("hi my name is sonny", true, false));
    end.send(turn("Hi, my name is Sonny.", true, true));
    await vi.waitFor(() => expect(rec.types()).toContain("end_of_turn"));
    expect(rec.events.slice(0, 2)).toEqual([{ type: "speech_started" }, { type: "interim", text: "hi my name" }]);
    expect(rec.events.at(-1)).toMatchObject({
      type: "end_of_turn",
      text: "Hi, my name is Sonny.",
      confidence: 0.8,
      words: expect.arrayContaining([{ word: "Sonny.", startMs: 400, endMs: 480, confidence: 0.8 }]),
    });
    expect(rec.types().filter((t) => t === "end_of_turn")).toHaveLength(1);
    stream.close();
  });

  it.each([
    [1008, "Unauthorized Connection: Too many concurrent sessions", "retryable"],
    [3007, "Input duration violation: 20 ms. Expected between 50 and 1000 ms", "permanent"],
    [3008, "Session Expired: Maximum session duration exceeded", "retryable"],
    [3005, "Session Cancelled: An error occurred", "retryable"],
  ] as const)("reads Error %i as %s", async (code, error, kind) => {
    const { end, rec } = await open();
    end.send({ type: "Error", error_code: code, error });
    end.close(code, "See Error message for details");
    await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
    expect(rec.errors()[0]).toMatchObject({ kind, options: { status: code } });
    expect(rec.errors()[0]!.message).toContain(error);
  });

  it("refuses a language its model does not hear, without opening a socket", async () => {
    const { rec, requests } = await open({}, "ja-JP");
    await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
    expect(rec.errors()[0]).toMatchObject({ kind: "permanent", options: { refusal: "language" } });
    expect(requests).toHaveLength(0);
    const multi = await open({ ASSEMBLYAI_STREAMING_MODEL: "universal-streaming-multilingual" }, "es-MX");
    await vi.waitFor(() => expect(multi.requests).toHaveLength(1));
    multi.stream.close();
  });
});
