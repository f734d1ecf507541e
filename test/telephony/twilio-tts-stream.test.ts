import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { base64ToBytes } from "../../src/lib/base64";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { uid } from "../helpers/api";
import { setCallBindings } from "../helpers/objects";
import { interruptedEntry } from "../stream/stream-client";
import { CHUNK_SAMPLES, SLOW_CHUNKS, stubSpeech } from "../stream/fake-streaming-tts";
import { connectStream, parseTwiml, settings, TwilioSocket, voiceWebhook, type Outbound } from "./twilio-client";
import { waitFor } from "../helpers/wait";

// A Twilio call's speech from a streaming TTS engine, starting with its greeting (spoken over the
// media stream in the replies' voice, not by Twilio's <Say>): its sentences go out as `media` while
// the provider is still sending them, each sentence gets its one `mark` only once it is whole, and
// a key pressed over it clears Twilio's buffer and revises the stored greeting.

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const ENGINES = { TTS_PROVIDERS: "openai", OPENAI_API_KEY: "sk-test-key" };

type Media = Extract<Outbound, { event: "media" }>;

describe("Twilio speech from a streaming TTS engine", { timeout: 30_000 }, () => {
  it("speaks the greeting over the stream: a sentence's media as it is synthesised, its mark once whole", async () => {
    const tenantId = uid("t");
    const vars = settings(tenantId);
    const res = await voiceWebhook(vars);
    const { callId } = parseTwiml(await res.text());
    await setCallBindings(tenantId, callId, { ...vars, ...ENGINES });
    let asked = 0;
    const answers = stubSpeech(() => (asked++ === 0 ? "slow" : "fast"));
    const s = (await connectStream(vars, callId)) as TwilioSocket;
    s.connected();
    s.start(callId);
    await waitFor(() => s.log.find((m) => m.event === "media"), "the greeting's first media");
    expect(answers[0]!.finished).toBe(false);
    expect(s.log.filter((m) => m.event === "mark")).toEqual([]);
    await waitFor(
      () => answers.length >= 2 && answers.every((a) => a.finished) && s.log.filter((m) => m.event === "mark").length,
      "the greeting's marks",
    );
    await waitFor(() => s.log.filter((m) => m.event === "mark").length === answers.length, "a mark per sentence");
    // Each sentence: its audio at 8 kHz mu-law, one byte a sample, in 20 ms (160-byte) frames but its last.
    const bytesPerSentence = Math.ceil(((SLOW_CHUNKS + 1) * CHUNK_SAMPLES * 8000) / 24000);
    let from = 0;
    for (const [i, mark] of s.log.filter((m) => m.event === "mark").entries()) {
      const to = s.log.indexOf(mark);
      const sizes = s.log
        .slice(from, to)
        .filter((m): m is Media => m.event === "media")
        .map((m) => base64ToBytes(m.media.payload).length);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(bytesPerSentence);
      expect(sizes.slice(0, -1).every((n) => n === 160)).toBe(true);
      expect(mark).toMatchObject({ mark: { name: `turn-0.${i + 1}` } });
      from = to + 1;
    }
    expect(s.log.some((m) => m.event === "clear")).toBe(false);
  });

  it("clears Twilio's buffer when a key is pressed over the greeting, and stores only what was played", async () => {
    const tenantId = uid("t");
    const vars = settings(tenantId);
    const res = await voiceWebhook(vars);
    const { callId } = parseTwiml(await res.text());
    await setCallBindings(tenantId, callId, { ...vars, ...ENGINES });
    const answers = stubSpeech(() => "slow");
    const s = (await connectStream(vars, callId)) as TwilioSocket;
    s.connected();
    s.start(callId);
    await waitFor(() => s.log.find((m) => m.event === "media"), "the greeting's first media");
    s.dtmf("0");
    await waitFor(() => s.log.find((m) => m.event === "clear"), "the clear");
    // The provider's stream is abandoned, no mark is sent for the cut sentence, and the greeting in
    // the history is what the caller heard of it: nothing whole, so empty and flagged interrupted.
    await waitFor(() => answers[0]!.cancelled, "the provider's stream cancelled");
    expect(s.log.filter((m) => m.event === "mark")).toEqual([]);
    expect(await interruptedEntry(tenantId, callId, "turn-0", 100)).toMatchObject({ text: "", interrupted: true });
  });
});
