import { describe, expect, it, vi } from "vitest";
import { OPTIONS, ProviderEnd, recorder } from "../stt-stream-contract";
import { WorkersAiStreamingSpeechToText } from "./stt-stream";
import { failingAi, fakeAi, settingsWith } from "./test-support";

describe("workers-ai streaming", () => {
  it("opens Flux through the binding with run(model, inputs, { websocket: true }) by default", async () => {
    const end = new ProviderEnd();
    const { ai, runs } = fakeAi(() => end.accepted());
    const engine = new WorkersAiStreamingSpeechToText(settingsWith(ai, { WORKERS_AI_EAGER_EOT_THRESHOLD: "0.4" }));
    expect(engine.eagerEndOfTurn).toBe(true);
    const rec = recorder();
    const stream = await engine.open(OPTIONS, rec.onEvent);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(runs[0]!.model).toBe("@cf/deepgram/flux");
    expect(runs[0]!.inputs).toEqual({ encoding: "linear16", sample_rate: "16000", eager_eot_threshold: "0.4" });
    expect(runs[0]!.options).toMatchObject({ websocket: true });
    end.send({ type: "TurnInfo", event: "EndOfTurn", transcript: "Pay my bill", words: [], turn_index: 0 });
    await vi.waitFor(() => expect(rec.types()).toEqual(["end_of_turn"]));
    stream.close();
  });

  it("opens Nova-3 with Deepgram's streaming query as flat string inputs", async () => {
    const end = new ProviderEnd();
    const { ai, runs } = fakeAi(() => end.accepted());
    const engine = new WorkersAiStreamingSpeechToText(
      settingsWith(ai, { WORKERS_AI_STT_STREAMING_MODEL: "@cf/deepgram/nova-3" }),
    );
    expect(engine.eagerEndOfTurn).toBe(false);
    const stream = await engine.open({ ...OPTIONS, language: "es-MX" }, recorder().onEvent);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(runs[0]!.model).toBe("@cf/deepgram/nova-3");
    expect(runs[0]!.inputs).toMatchObject({
      encoding: "linear16",
      sample_rate: "16000",
      language: "es",
      interim_results: "true",
    });
    stream.close();
  });

  it("classifies what the binding throws (3040 capacity: retryable; 5007 no such model: permanent)", async () => {
    for (const [message, kind] of [
      ["3040: Capacity temporarily exceeded, please try again.", "retryable"],
      ["5007: No such model @cf/deepgram/flux or task", "permanent"],
    ] as const) {
      const rec = recorder();
      await new WorkersAiStreamingSpeechToText(settingsWith(failingAi(new Error(message)))).open(OPTIONS, rec.onEvent);
      await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
      expect(rec.errors()[0]!.kind).toBe(kind);
    }
  });

  it("reports a binding answer that is not a WebSocket as invalid_response", async () => {
    const rec = recorder();
    const { ai } = fakeAi({ text: "not a socket" });
    await new WorkersAiStreamingSpeechToText(settingsWith(ai)).open(OPTIONS, rec.onEvent);
    await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
    expect(rec.errors()[0]!.kind).toBe("invalid_response");
  });
});
