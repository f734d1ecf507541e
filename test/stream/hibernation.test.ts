import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CallSession } from "../../src/durable/call-session";
import { STREAM_TAG } from "../../src/pipeline/live/stream-open";
import type { StreamAttachment } from "../../src/pipeline/live/stream-state";
import { concat, keyTone, silence, toInt16 } from "../../src/audio/test-signals";
import { api, startCall, tenant } from "../helpers/api";
import { callObject } from "../helpers/objects";
import { assistantEntry, silenceSamples, speechLike, started } from "./stream-client";

// The stream uses the WebSocket hibernation API: between turns the call's object holds no timers
// and no pending work, so the runtime may evict it while the socket stays open. These tests evict
// it (evictDurableObject, webSockets: "hibernate") and check the stream carries on from what its
// socket's attachment kept: the start settings, keys heard but not yet sent, the reply's playback.

/** Marks the running instance, so a test can tell a fresh one (after eviction) from it. */
async function mark(tenantId: string, callId: string): Promise<void> {
  await runInDurableObject(callObject(tenantId, callId), (instance: CallSession) => {
    (instance as unknown as { marked?: boolean }).marked = true;
  });
}

async function marked(tenantId: string, callId: string): Promise<boolean> {
  return runInDurableObject(
    callObject(tenantId, callId),
    (instance: CallSession) => (instance as unknown as { marked?: boolean }).marked === true,
  );
}

async function attachment(tenantId: string, callId: string): Promise<StreamAttachment | null> {
  return runInDurableObject(
    callObject(tenantId, callId),
    (_i, state) => (state.getWebSockets(STREAM_TAG)[0]?.deserializeAttachment() as StreamAttachment | null) ?? null,
  );
}

function keys(digits: string, rate: number): Int16Array {
  return toInt16(concat(...[...digits].flatMap((d) => [keyTone(d, rate, 70), silence(rate, 80)])));
}

describe("hibernation", { timeout: 30_000 }, () => {
  it("continues the call on the same socket after the object is evicted between turns", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { format: "mulaw", sampleRate: 8000, reply: "text" });
    s.send({ type: "text", text: "billing" });
    await s.next("metrics");
    await mark(tenantId, callId);
    await evictDurableObject(callObject(tenantId, callId));
    expect(await marked(tenantId, callId)).toBe(false); // a new instance, rebuilt from storage
    // The socket is still open; the next turn is answered with the settings `start` gave.
    s.send({ type: "dtmf", digits: "1" });
    expect(await s.next("transcript")).toMatchObject({ turnId: "turn-2", text: "1", source: "dtmf" });
    expect((await s.next("intent")).name).toBe("check_balance");
    await s.next("metrics");
    await evictDurableObject(callObject(tenantId, callId));
    // Audio after a wake is decoded with the format of `start` (mu-law here): keys are heard.
    s.sendAudio(keys("2#", 8000), "mulaw", 8000);
    expect(await s.next("transcript")).toMatchObject({ turnId: "turn-3", text: "2#", source: "dtmf" });
    await s.next("metrics");
    expect(s.closeInfo).toBeUndefined();
    expect(s.summary()).toEqual([
      "ready",
      ...["transcript", "intent", "reply", "reply_done", "metrics"],
      ...["transcript", "intent", "reply", "reply_done", "metrics"],
      ...["dtmf", "dtmf", "transcript", "intent", "reply", "reply_done", "metrics"],
    ]);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
      history: { turnId: string; role: string; text: string }[];
    };
    expect(view.history.filter((h) => h.role === "user").map((h) => h.text)).toEqual(["billing", "1", "2#"]);
  });

  it("keeps keys heard before an eviction: they join the keys heard after it in one turn", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { format: "pcm16", sampleRate: 8000, reply: "text" });
    s.sendAudio(keys("12", 8000), "pcm16", 8000);
    await s.next("dtmf");
    await s.next("dtmf");
    expect(await attachment(tenantId, callId)).toMatchObject({
      digits: "12",
      start: { format: "pcm16", sampleRate: 8000 },
    });
    await evictDurableObject(callObject(tenantId, callId));
    s.sendAudio(keys("34#", 8000), "pcm16", 8000);
    expect(await s.next("transcript")).toMatchObject({ turnId: "turn-1", text: "1234#", source: "dtmf" });
    expect(
      s
        .messages("dtmf")
        .map((m) => m.digit)
        .join(""),
    ).toBe("1234#");
  });

  it(
    "still knows what a hibernated reply was playing: " + "barge-in after a wake cuts it where the caller spoke",
    async () => {
      const { tenantId, key } = await tenant();
      const callId = await startCall(key);
      const s = await started(callId, key);
      s.send({ type: "text", text: "hello" });
      await s.next("metrics");
      const before = await attachment(tenantId, callId);
      expect(before?.playback?.ends).toHaveLength(2);
      // Nothing is left running after the turn: no provider deadline timer (they are cleared), no
      // pending promise, so eviction need not wait for anything (it waits out in-flight work).
      const evicting = Date.now();
      await evictDurableObject(callObject(tenantId, callId));
      expect(Date.now() - evicting).toBeLessThan(3000);
      const firstEnd = before!.playback!.ends[0]!;
      await runInDurableObject(callObject(tenantId, callId), (instance: CallSession) => {
        instance.streamNow = () => firstEnd + 10;
      });
      s.sendAudio(speechLike(16000, 600), "pcm16", 16000);
      await s.next("speech_started");
      expect(await s.next("interrupted")).toEqual({
        type: "interrupted",
        turnId: "turn-1",
        spokenText: "Hello! How can I help you today?",
      });
      s.sendAudio(silenceSamples(16000, 700), "pcm16", 16000);
      await s.next("error"); // the new utterance's turn: no STT provider in tests
      expect(await assistantEntry(tenantId, callId, "turn-1")).toMatchObject({
        text: "Hello! How can I help you today?",
        interrupted: true,
      });
    },
  );
});
