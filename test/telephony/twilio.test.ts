import { evictDurableObject } from "cloudflare:test";
import { splitSentences } from "../../src/nlp/sentences";
import { describe, expect, it } from "vitest";
import { concat, keyTone, silence, toInt16 } from "../../src/audio/test-signals";
import { TWILIO_STREAM_TAG } from "../../src/pipeline/live/stream-open";
import { base64ToBytes } from "../../src/lib/base64";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import { api, createKey, expectProblem, uid } from "../helpers/api";
import { advanceLimitsClock, callObject, fetchWithSettings, setCallBindings } from "../helpers/objects";
import { twilioSignature } from "../../src/telephony/twilio-signature";
import {
  assistantEntry,
  callView,
  interruptedEntry,
  playbackEnds,
  setStreamClock,
  silenceSamples,
  speechLike,
  wavSamples,
} from "../stream/stream-client";
import {
  CALL_FORM,
  connectStream,
  ORIGIN,
  parseTwiml,
  settings,
  TWILIO_TOKEN,
  TwilioSocket,
  VOICE_PATH,
  voiceWebhook,
  type Outbound,
} from "./twilio-client";

// The Twilio bridge (src/http/routes/telephony.ts, src/pipeline/live/twilio-adapter.ts): the signed Voice
// webhook and its TwiML, then the Media Streams WebSocket on the same call pipeline.

async function newCall(vars: Record<string, string>): Promise<string> {
  const res = await voiceWebhook(vars);
  const xml = await res.text();
  expect(res.status, xml).toBe(200);
  return parseTwiml(xml).callId;
}

async function openStream(vars: Record<string, string>, callId: string): Promise<TwilioSocket> {
  const s = await connectStream(vars, callId);
  if (s instanceof Response) throw new Error(`stream refused: ${s.status} ${await s.text()}`);
  s.connected();
  s.start(callId);
  return s;
}

const isMark = (prefix: string) => (m: Outbound) => m.event === "mark" && m.mark.name.startsWith(prefix);

/** The call through the API (from whichever tier holds it: the object empties once an ended call is archived). */
async function apiView(
  tenantId: string,
  callId: string,
): Promise<{ status: string; history: { turnId: string; role: string; text: string; source?: string }[] }> {
  const res = await api(`/api/v1/calls/${callId}`, { key: await createKey(tenantId) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as {
    status: string;
    history: { turnId: string; role: string; text: string; source?: string }[];
  };
}

async function userTurns(tenantId: string, callId: string) {
  const view = await apiView(tenantId, callId);
  return view.history.filter((h) => h.role === "user").map((h) => [h.turnId, h.text, h.source]);
}

/** The socket's modelled playback (epoch ms ends of the sentences sent). */
/** A call on a Twilio stream whose caller keyed 1234# after half a second of silence, once its reply has begun. */
async function keypadReply() {
  const tenantId = uid("t");
  const vars = settings(tenantId);
  const callId = await newCall(vars);
  const s = await openStream(vars, callId);
  s.media(silenceSamples(8000, 500));
  for (const d of "1234#") s.dtmf(d);
  await s.until(isMark("turn-1."), "turn-1's first mark");
  return { tenantId, callId, s };
}

describe("Twilio voice webhook", () => {
  it("accepts a signed request: creates a call and answers <Connect><Stream> with the call id", async () => {
    const tenantId = uid("t");
    const res = await voiceWebhook(settings(tenantId));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/xml; charset=utf-8");
    const xml = await res.text();
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Connect><Stream url="[^"]+"><Parameter name="callId" value="[^"]+"\/><\/Stream><\/Connect><\/Response>$/,
    );
    const { streamUrl, callId, say } = parseTwiml(xml);
    expect(streamUrl).toBe(`wss://voice-edge.test/api/v1/telephony/twilio/stream/${callId}`);
    const view = await callView(tenantId, callId);
    expect(view).toMatchObject({ status: "active", metadata: { channel: "twilio", twilioCallSid: CALL_FORM.CallSid } });
    // The caller's number is not kept.
    expect(JSON.stringify(view)).not.toContain(CALL_FORM.From);
    // No <Say>: the greeting, stored with the call, is spoken over the stream in the replies' voice.
    expect(say).toBeNull();
    expect(view?.history.find((h) => h.role === "assistant")?.text).toMatch(/Thanks for calling/);
  });

  it("answers a webhook Twilio sends again for the same CallSid with the same call, not a second one", async () => {
    const tenantId = uid("t");
    const form = { ...CALL_FORM, CallSid: `CA${crypto.randomUUID().replaceAll("-", "")}` };
    const first = parseTwiml(await (await voiceWebhook(settings(tenantId), { form })).text());
    const again = parseTwiml(await (await voiceWebhook(settings(tenantId), { form })).text());
    expect(first.callId).toBe(`twilio_${form.CallSid}`);
    expect(again.callId).toBe(first.callId);
    expect((await callView(tenantId, first.callId))?.history.filter((h) => h.role === "assistant")).toHaveLength(1);
  });

  it("places an EU tenant's phone calls in the EU, like its other calls", async () => {
    const tenantId = uid("t");
    await createKey(tenantId, ["calls:read"], { residency: "eu" });
    const { callId } = parseTwiml(await (await voiceWebhook(settings(tenantId))).text());
    expect(await callObject(tenantId, callId, "eu").get()).toMatchObject({ residency: "eu" });
    expect(await callObject(tenantId, callId, null).get()).toBeNull();
  });

  it("rejects a tampered parameter, a wrong token and a missing signature with 401", async () => {
    const vars = settings(uid("t"));
    const tampered = await voiceWebhook(vars, { form: { ...CALL_FORM, From: "+15550000000" }, signedForm: CALL_FORM });
    await expectProblem(tampered, 401, "invalid_signature");
    await expectProblem(await voiceWebhook(vars, { token: "another-accounts-token" }), 401, "invalid_signature");
    await expectProblem(await voiceWebhook(vars, { token: null }), 401, "invalid_signature");
    // Signed for another URL (a query string added).
    await expectProblem(
      await voiceWebhook(vars, { signedUrl: `${ORIGIN}${VOICE_PATH}?x=1` }),
      401,
      "invalid_signature",
    );
  });

  it("refuses API keys (403): only Twilio's signature opens these routes", async () => {
    const tenantId = uid("t");
    const key = await createKey(tenantId);
    const vars = settings(tenantId);
    const signature = await twilioSignature(TWILIO_TOKEN, ORIGIN + VOICE_PATH, CALL_FORM);
    const res = await fetchWithSettings(
      vars,
      new Request(ORIGIN + VOICE_PATH, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${key}`,
          "X-Twilio-Signature": signature,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(CALL_FORM).toString(),
      }),
    );
    await expectProblem(res, 403, "forbidden");
    const stream = await fetchWithSettings(
      vars,
      new Request(`${ORIGIN}/api/v1/telephony/twilio/stream/call_x`, {
        headers: { Authorization: `Bearer ${key}`, Upgrade: "websocket" },
      }),
    );
    await expectProblem(stream, 403, "forbidden");
  });

  it("accepts either token of a rotation", async () => {
    const vars = settings(uid("t"), { TWILIO_AUTH_TOKEN: "old-token-aaaaaaaa, twilio-test-auth-token-0123" });
    expect((await voiceWebhook(vars)).status).toBe(200);
    expect((await voiceWebhook(vars, { token: "old-token-aaaaaaaa" })).status).toBe(200);
  });

  it("verifies against PUBLIC_BASE_URL and builds the stream URL from it", async () => {
    const vars = settings(uid("t"), { PUBLIC_BASE_URL: "https://voice.example.com/" });
    await expectProblem(await voiceWebhook(vars), 401, "invalid_signature");
    const res = await voiceWebhook(vars, { signedUrl: `https://voice.example.com${VOICE_PATH}` });
    expect(res.status).toBe(200);
    const { streamUrl, callId } = parseTwiml(await res.text());
    expect(streamUrl).toBe(`wss://voice.example.com/api/v1/telephony/twilio/stream/${callId}`);
  });

  it("answers 503 when the bridge is not configured, signed or not", async () => {
    await expectProblem(
      await voiceWebhook({ TWILIO_AUTH_TOKEN: "", TWILIO_TENANT_ID: "" }, { token: null }),
      503,
      "not_configured",
    );
    await expectProblem(
      await voiceWebhook({ TWILIO_AUTH_TOKEN: "", TWILIO_TENANT_ID: uid("t") }),
      503,
      "not_configured",
    );
  });
});

describe("Twilio media stream", { timeout: 30_000 }, () => {
  it(
    "refuses an unsigned or wrongly signed handshake " + "and a call id that does not match the start message",
    async () => {
      const vars = settings(uid("t"));
      const callId = await newCall(vars);
      await expectProblem((await connectStream(vars, callId, null)) as Response, 401, "invalid_signature");
      await expectProblem((await connectStream(vars, callId, "wrong-token")) as Response, 401, "invalid_signature");
      await expectProblem((await connectStream(vars, "call_doesnotexist")) as Response, 404, "call_not_found");
      const s = (await connectStream(vars, callId)) as TwilioSocket;
      s.connected();
      s.start("call_someoneelse");
      expect((await s.closed()).code).toBe(1008);
    },
  );

  it(
    "connected → start → mu-law media (keys in the audio) … dtmf → " +
      "stop: keypad turns, mu-law replies with marks, the call ends",
    async () => {
      const tenantId = uid("t");
      const vars = settings(tenantId);
      const callId = await newCall(vars);
      const s = await openStream(vars, callId);
      // The greeting first, over the stream, a mark per sentence; then past its playback.
      const greeting = (await apiView(tenantId, callId)).history[0]!.text;
      for (let n = 1; n <= splitSentences(greeting).length; n++)
        await s.until(isMark(`turn-0.${n}`), "a greeting mark");
      await setStreamClock(tenantId, callId, Date.now() + 60_000);
      const greeted = s.log.length;
      s.media(wavSamples(dtmfWav).samples);
      await s.until(isMark("turn-1."), "turn-1's first mark");
      const firstSentence = s.log.slice(greeted, s.log.findIndex(isMark("turn-1.")));
      const media = firstSentence.filter((m): m is Extract<Outbound, { event: "media" }> => m.event === "media");
      expect(media.length).toBeGreaterThan(10);
      const sizes = media.map((m) => base64ToBytes(m.media.payload).length);
      // 20 ms of 8 kHz mu-law is 160 bytes; only a sentence's last frame may be shorter.
      expect(sizes.slice(0, -1).every((n) => n === 160)).toBe(true);
      expect(media.every((m) => m.streamSid === s.streamSid)).toBe(true);
      // Past the reply's playback, and past the keys' echo window: the next keys are new presses.
      await setStreamClock(tenantId, callId, Date.now() + 3_600_000);
      s.media(silenceSamples(8000, 1600));
      s.dtmf("5");
      s.dtmf("#");
      await s.until(isMark("turn-2."), "turn-2's first mark");
      expect(s.summary().filter((e) => e === "clear")).toEqual([]);
      s.stop();
      expect(await s.closed()).toMatchObject({ code: 1000 });
      expect(await userTurns(tenantId, callId)).toEqual([
        ["turn-1", "1234#", "dtmf"],
        ["turn-2", "5#", "dtmf"],
      ]);
      expect((await apiView(tenantId, callId)).status).toBe("ended");
    },
  );

  it("counts a key once when Twilio both reports it and leaves its tones in the audio", async () => {
    const tenantId = uid("t");
    const vars = settings(tenantId);
    const callId = await newCall(vars);
    const s = await openStream(vars, callId);
    for (const d of "12#") {
      s.media(toInt16(concat(keyTone(d, 8000, 80), silence(8000, 80))));
      s.dtmf(d);
    }
    await s.until(isMark("turn-1."), "turn-1's first mark");
    s.media(silenceSamples(8000, 3000));
    s.stop();
    await s.closed();
    expect(await userTurns(tenantId, callId)).toEqual([["turn-1", "12#", "dtmf"]]);
  });

  it("sends clear when the caller speaks over the reply; the history keeps what was played", async () => {
    const { tenantId, callId, s } = await keypadReply();
    // Twilio streams the caller's line continuously: silence after the keys, then speech.
    s.media(silenceSamples(8000, 500));
    const ends = await playbackEnds(tenantId, callId, TWILIO_STREAM_TAG);
    expect(ends.length).toBeGreaterThan(0);
    await setStreamClock(tenantId, callId, ends[0]! - 10); // still in the first sentence
    s.media(speechLike(8000, 1200));
    await s.until((m) => m.event === "clear", "clear");
    expect(await interruptedEntry(tenantId, callId, "turn-1", 100)).toMatchObject({ text: "", interrupted: true });
    s.stop();
    await s.closed();
  });

  it("keeps the sentences whose marks Twilio echoed, not what the playback model guesses", async () => {
    const { tenantId, callId, s } = await keypadReply();
    const first = s.log.find(isMark("turn-1.")) as Extract<Outbound, { event: "mark" }>;
    // Twilio says the first sentence has played, where the model says it is still playing.
    s.mark(first.mark.name);
    s.media(silenceSamples(8000, 500));
    // The whole reply as stored, before the barge-in revises it.
    let stored = await assistantEntry(tenantId, callId, "turn-1");
    for (let i = 0; i < 100 && !stored; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stored = await assistantEntry(tenantId, callId, "turn-1");
    }
    const sentences = splitSentences(stored!.text);
    expect(sentences.length).toBeGreaterThan(1);
    const ends = await playbackEnds(tenantId, callId, TWILIO_STREAM_TAG);
    await setStreamClock(tenantId, callId, ends[0]! - 10); // the model: nothing has played yet
    s.media(speechLike(8000, 1200));
    await s.until((m) => m.event === "clear", "clear");
    expect(await interruptedEntry(tenantId, callId, "turn-1", 100)).toMatchObject({
      text: sentences[0],
      interrupted: true,
    });
    s.stop();
    await s.closed();
  });

  it("counts the bridge's keypad turns against the tenant's request rate: over it, the turn is dropped", async () => {
    const tenantId = uid("t");
    const vars = settings(tenantId);
    const callId = await newCall(vars);
    // 2 a minute: the bridge's third turn finds the tenant's bucket empty.
    await setCallBindings(tenantId, callId, { ...vars, TENANT_REQUESTS_PER_MINUTE: "2" });
    const s = await openStream(vars, callId);
    for (const d of "1#") s.dtmf(d);
    await s.until(isMark("turn-1."), "turn-1's first mark");
    for (const d of "2#") s.dtmf(d);
    await s.until(isMark("turn-2."), "turn-2's first mark");
    for (const d of "3#") s.dtmf(d);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.closeInfo).toBeUndefined(); // the caller stays on the line
    await advanceLimitsClock(tenantId, 60_000);
    for (const d of "4#") s.dtmf(d);
    await s.until(isMark("turn-3."), "turn-3's first mark");
    s.stop();
    expect((await s.closed()).code).toBe(1000);
    expect(await userTurns(tenantId, callId)).toEqual([
      ["turn-1", "1#", "dtmf"],
      ["turn-2", "2#", "dtmf"],
      ["turn-3", "4#", "dtmf"],
    ]);
  });

  it(
    "carries on after the object hibernates: the stream sid, the " +
      "format and the mark count come back from the socket",
    async () => {
      const tenantId = uid("t");
      const vars = settings(tenantId);
      const callId = await newCall(vars);
      const s = await openStream(vars, callId);
      s.media(silenceSamples(8000, 200));
      for (const d of "1#") s.dtmf(d);
      await s.until(isMark("turn-1."), "turn-1's first mark");
      await setStreamClock(tenantId, callId, Date.now() + 3_600_000);
      await new Promise((r) => setTimeout(r, 300)); // let the rest of turn-1 go out
      const before = s.log.filter((m) => m.event === "mark").length;
      await evictDurableObject(callObject(tenantId, callId));
      s.media(silenceSamples(8000, 1600));
      for (const d of "2#") s.dtmf(d);
      const mark = await s.until(isMark("turn-2."), "turn-2's first mark");
      expect(mark).toMatchObject({ streamSid: s.streamSid, mark: { name: `turn-2.${before + 1}` } });
      s.stop();
      expect((await s.closed()).code).toBe(1000);
      expect(await userTurns(tenantId, callId)).toEqual([
        ["turn-1", "1#", "dtmf"],
        ["turn-2", "2#", "dtmf"],
      ]);
    },
  );
});

describe("the voice webhook's body (issue 21)", () => {
  it("takes a form only: a signed JSON body is 415 and creates no call", async () => {
    const tenantId = uid("t");
    const vars = settings(tenantId);
    const body = JSON.stringify(CALL_FORM);
    const signature = await twilioSignature(TWILIO_TOKEN, ORIGIN + VOICE_PATH, {});
    const res = await fetchWithSettings(
      vars,
      new Request(ORIGIN + VOICE_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Twilio-Signature": signature },
        body,
      }),
    );
    await expectProblem(res, 415, "unsupported_media_type");
    const view = await callObject(tenantId, `twilio_${CALL_FORM.CallSid}`).get();
    expect(view).toBeNull();
  });
});
