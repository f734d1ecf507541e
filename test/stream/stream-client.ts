import { runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { decodeAudio } from "../../src/audio/decode";
import { muLawEncode } from "../../src/audio/g711";
import { samplesToPcm16 } from "../../src/audio/pcm";
import { resample } from "../../src/audio/resample";
import type { CallView } from "../../src/call/records";
import type { CallSession } from "../../src/durable/call-session";
import { STREAM_TAG } from "../../src/pipeline/live/stream-open";
import type { StreamAttachment } from "../../src/pipeline/live/stream-state";
import type { ServerMessage, StreamFormat } from "../../src/stream/protocol";
import { api, apiRequest } from "../helpers/api";
import { callObject } from "../helpers/objects";
import agentWav from "../fixtures/audio/agent-16k.wav";

/** What a test stream received, in order: JSON messages, and binary reply audio as `audio`. */
export type Received = ServerMessage | { type: "audio"; bytes: Uint8Array };

/** Opens GET /api/v1/calls/{callId}/stream through the Worker; the Response when it is refused. */
export async function connect(
  callId: string,
  auth: { key?: string; token?: string },
  init: { upgrade?: boolean } = {},
): Promise<TestStream | Response> {
  const query = auth.token === undefined ? "" : `?token=${encodeURIComponent(auth.token)}`;
  const headers: Record<string, string> = init.upgrade === false ? {} : { Upgrade: "websocket" };
  const res = await exports.default.fetch(
    apiRequest(`/api/v1/calls/${encodeURIComponent(callId)}/stream${query}`, {
      headers,
      ...(auth.key ? { key: auth.key } : {}),
    }),
  );
  if (res.status !== 101 || !res.webSocket) return res;
  return new TestStream(res.webSocket);
}

/** connect() that must succeed. */
export async function open(callId: string, auth: { key?: string; token?: string }): Promise<TestStream> {
  const s = await connect(callId, auth);
  if (s instanceof Response) throw new Error(`stream refused: ${s.status} ${await s.text()}`);
  return s;
}

/** A stream with `start` sent and `ready` received. */
export async function started(callId: string, key: string, start: Record<string, unknown> = {}): Promise<TestStream> {
  const s = await open(callId, { key });
  s.send({ type: "start", format: "pcm16", sampleRate: 16000, ...start });
  await s.next("ready");
  return s;
}

export async function streamToken(key: string, callId: string): Promise<{ token: string; expiresAt: string }> {
  const res = await api(`/api/v1/calls/${callId}/stream-token`, { method: "POST", key });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { token: string; expiresAt: string };
}

export class TestStream {
  readonly log: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | undefined;
  /** Index in `log` up to which next() has consumed. */
  private cursor = 0;
  private waiters: (() => void)[] = [];
  private inbox: Promise<void> = Promise.resolve();

  constructor(readonly ws: WebSocket) {
    ws.accept();
    // Binary messages arrive as Blobs in workerd: read in arrival order through one chain.
    ws.addEventListener("message", (event) => {
      const data: unknown = event.data;
      this.inbox = this.inbox.then(async () => {
        if (typeof data === "string") this.log.push(JSON.parse(data) as ServerMessage);
        else {
          const buffer = data instanceof Blob ? await data.arrayBuffer() : (data as ArrayBuffer);
          this.log.push({ type: "audio", bytes: new Uint8Array(buffer) });
        }
        this.wake();
      });
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => {
        this.inbox = this.inbox.then(() => {
          this.closeInfo = { code: event.code, reason: event.reason };
          resolve(this.closeInfo);
          this.wake();
        });
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  sendBinary(bytes: Uint8Array | ArrayBuffer): void {
    this.ws.send(bytes);
  }

  /** Sends audio as `frameMs` frames in the stream's format. */
  sendAudio(samples: Int16Array, format: StreamFormat, sampleRate: number, frameMs = 20): void {
    const n = Math.round((sampleRate * frameMs) / 1000);
    for (let at = 0; at < samples.length; at += n) {
      const frame = samples.subarray(at, Math.min(at + n, samples.length));
      this.sendBinary(format === "mulaw" ? muLawEncode(frame) : samplesToPcm16(frame, true));
    }
  }

  /** Waits until `predicate` holds for a message after the cursor; moves the cursor past it. */
  async until<T extends Received>(predicate: (m: Received) => m is T, what: string, timeoutMs?: number): Promise<T>;
  async until(predicate: (m: Received) => boolean, what: string, timeoutMs?: number): Promise<Received>;
  async until(predicate: (m: Received) => boolean, what: string, timeoutMs = 15_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.log.length; i++) {
        const m = this.log[i]!;
        if (predicate(m)) {
          this.cursor = i + 1;
          return m;
        }
      }
      if (this.closeInfo)
        throw new Error(
          `stream closed (${this.closeInfo.code} ` +
            `${this.closeInfo.reason}) before ${what}; got ${this.summary().join(", ")}`,
        );
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.summary().join(", ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next message of a type (after the cursor). */
  next<K extends Received["type"]>(type: K, timeoutMs?: number): Promise<Extract<Received, { type: K }>> {
    return this.until((m): m is Extract<Received, { type: K }> => m.type === type, `"${type}"`, timeoutMs);
  }

  /** Message types received so far, consecutive audio frames as one "audio". */
  summary(from = 0): string[] {
    const out: string[] = [];
    for (const m of this.log.slice(from)) {
      if (m.type === "audio" && out[out.length - 1] === "audio") continue;
      out.push(m.type);
    }
    return out;
  }

  messages<K extends Received["type"]>(type: K): Extract<Received, { type: K }>[] {
    return this.log.filter((m): m is Extract<Received, { type: K }> => m.type === type);
  }

  close(code = 1000, reason = ""): void {
    try {
      this.ws.close(code, reason);
    } catch {
      // already closed
    }
  }
}

/** The call as its object holds it (history entries with every stored field, `interrupted` included). */
export async function callView(tenantId: string, callId: string): Promise<CallView | null> {
  return (await callObject(tenantId, callId).get()) as unknown as CallView | null;
}

/** The reply a call's history holds for one turn (its assistant entry), as the call's object has it. */
export async function assistantEntry(
  tenantId: string,
  callId: string,
  turnId: string,
): Promise<{ text: string; interrupted?: boolean } | undefined> {
  const view = await callView(tenantId, callId);
  return view?.history.find((h) => h.turnId === turnId && h.role === "assistant") as
    { text: string; interrupted?: boolean } | undefined;
}

/**
 * That reply once a barge-in has revised it (`interrupted`), polling every 20 ms up to `tries`
 * times: the revision is written after the `interrupted` message goes out. Returns the last read.
 */
export async function interruptedEntry(tenantId: string, callId: string, turnId: string, tries: number) {
  let entry = await assistantEntry(tenantId, callId, turnId);
  for (let i = 0; i < tries && !entry?.interrupted; i++) {
    await new Promise((r) => setTimeout(r, 20));
    entry = await assistantEntry(tenantId, callId, turnId);
  }
  return entry;
}

/** A WAV fixture as mono samples at `rate` (resampled when it differs). */
export function wavSamples(wav: Uint8Array, rate?: number): { samples: Int16Array; sampleRate: number } {
  const audio = decodeAudio(wav, "audio/wav", { maxBytes: 10_000_000, maxDurationMs: 600_000 });
  if (audio.kind !== "pcm") throw new Error("not PCM");
  if (!rate || rate === audio.sampleRate) return { samples: audio.samples, sampleRate: audio.sampleRate };
  return { samples: resample(audio.samples, audio.sampleRate, rate), sampleRate: rate };
}

export function silenceSamples(sampleRate: number, ms: number): Int16Array {
  return new Int16Array(Math.round((sampleRate * ms) / 1000));
}

/**
 * A speech-like signal built from first principles: a voiced source (a 120 Hz pulse train through
 * two formant-like resonances) under a 4 Hz syllable envelope. Loud enough for the VAD, without
 * the paired DTMF tones a keypad detector looks for.
 */
export function speechLike(sampleRate: number, ms: number, seed = 1): Int16Array {
  const n = Math.round((sampleRate * ms) / 1000);
  const out = new Int16Array(n);
  let state = seed;
  const noise = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  };
  const resonators = [500, 1500].map((f) => {
    const r = 0.97;
    return { a1: 2 * r * Math.cos((2 * Math.PI * f) / sampleRate), a2: -r * r, y1: 0, y2: 0 };
  });
  const period = Math.round(sampleRate / 120);
  for (let i = 0; i < n; i++) {
    const excitation = (i % period === 0 ? 1 : 0) + 0.05 * noise();
    let y = 0;
    for (const r of resonators) {
      const v = excitation + r.a1 * r.y1 + r.a2 * r.y2;
      r.y2 = r.y1;
      r.y1 = v;
      y += v;
    }
    const t = i / sampleRate;
    const envelope = 0.35 + 0.65 * Math.abs(Math.sin(Math.PI * 4 * t));
    out[i] = Math.max(-32768, Math.min(32767, Math.round(1500 * y * envelope)));
  }
  return out;
}

/**
 * The ends (epoch ms) of the reply's sentences on the caller's side, as the object models them (in
 * the stream socket's attachment; `tag` picks the socket kind, ours by default).
 */
export async function playbackEnds(tenantId: string, callId: string, tag = STREAM_TAG): Promise<number[]> {
  return runInDurableObject(callObject(tenantId, callId), (_instance, state) => {
    const [ws] = state.getWebSockets(tag);
    return (ws?.deserializeAttachment() as StreamAttachment | null)?.playback?.ends ?? [];
  });
}

/** Stops the object's stream clock at `at` (epoch ms). */
export async function setStreamClock(tenantId: string, callId: string, at: number): Promise<void> {
  await runInDurableObject(callObject(tenantId, callId), (instance: CallSession) => {
    instance.streamNow = () => at;
  });
}

/**
 * The agent fixture ("I want to talk to an agent", 16 kHz) as samples, and where its speech ends:
 * the end of its last 20 ms frame at -40 dBFS or louder, in samples.
 */
export function agentSpeech(): { samples: Int16Array; speechEnd: number } {
  const { samples, sampleRate } = wavSamples(agentWav);
  const frame = sampleRate / 50;
  let speechEnd = 0;
  for (let at = 0; at + frame <= samples.length; at += frame) {
    let energy = 0;
    for (let i = at; i < at + frame; i++) energy += (samples[i]! / 32768) ** 2;
    if (10 * Math.log10(energy / frame + 1e-12) >= -40) speechEnd = at + frame;
  }
  return { samples, speechEnd };
}
