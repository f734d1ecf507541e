import { bytesToBase64 } from "../../src/lib/base64";
import { muLawEncode } from "../../src/audio/g711";
import { twilioSignature } from "../../src/telephony/twilio-signature";
import { fetchWithSettings } from "../helpers/objects";

// A test stand-in for Twilio: signs webhook requests and stream handshakes, and speaks the Media
// Streams messages (https://www.twilio.com/docs/voice/media-streams/websocket-messages).

export const TWILIO_TOKEN = "twilio-test-auth-token-0123";
export const ORIGIN = "http://voice-edge.test";
export const VOICE_PATH = "/api/v1/telephony/twilio/voice";

export function settings(tenantId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_TENANT_ID: tenantId, ...extra };
}

export const CALL_FORM: Record<string, string> = {
  AccountSid: "AC0123456789abcdef0123456789abcdef",
  CallSid: "CAfedcba9876543210fedcba9876543210",
  From: "+15551230000",
  To: "+15559870000",
  CallStatus: "ringing",
  Direction: "inbound",
};

/** POST the Voice webhook as Twilio would: form body, signed with `token` over `signedUrl` and `signedForm`. */
export async function voiceWebhook(
  vars: Record<string, string>,
  init: {
    form?: Record<string, string>;
    token?: string | null;
    signedUrl?: string;
    signedForm?: Record<string, string>;
  } = {},
): Promise<Response> {
  const form = init.form ?? CALL_FORM;
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  if (init.token !== null)
    headers["X-Twilio-Signature"] = await twilioSignature(
      init.token ?? TWILIO_TOKEN,
      init.signedUrl ?? ORIGIN + VOICE_PATH,
      init.signedForm ?? form,
    );
  return fetchWithSettings(
    vars,
    new Request(ORIGIN + VOICE_PATH, { method: "POST", headers, body: new URLSearchParams(form).toString() }),
  );
}

/** The TwiML's stream URL and call id parameter. */
export function parseTwiml(xml: string): { streamUrl: string; callId: string; say: string | null } {
  const streamUrl = /<Stream url="([^"]+)"/.exec(xml)?.[1];
  const callId = /<Parameter name="callId" value="([^"]+)"\/>/.exec(xml)?.[1];
  if (!streamUrl || !callId) throw new Error(`not a Connect/Stream TwiML: ${xml}`);
  return { streamUrl, callId, say: /<Say>([^<]*)<\/Say>/.exec(xml)?.[1] ?? null };
}

/** Opens the stream as Twilio would: the wss:// URL signed, the request made to the Worker. */
export async function connectStream(
  vars: Record<string, string>,
  callId: string,
  token: string | null = TWILIO_TOKEN,
): Promise<TwilioSocket | Response> {
  const path = `/api/v1/telephony/twilio/stream/${callId}`;
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (token !== null) headers["X-Twilio-Signature"] = await twilioSignature(token, `wss://voice-edge.test${path}`);
  const res = await fetchWithSettings(vars, new Request(ORIGIN + path, { headers }));
  if (res.status !== 101 || !res.webSocket) return res;
  return new TwilioSocket(res.webSocket);
}

export type Outbound =
  | { event: "media"; streamSid: string; media: { payload: string } }
  | { event: "mark"; streamSid: string; mark: { name: string } }
  | { event: "clear"; streamSid: string };

export class TwilioSocket {
  readonly log: Outbound[] = [];
  closeInfo: { code: number; reason: string } | undefined;
  private seq = 0;
  private chunk = 0;
  private cursor = 0;
  readonly streamSid = "MZ0123456789abcdef0123456789abcdef";

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") this.log.push(JSON.parse(e.data) as Outbound);
      else this.log.push({ event: "binary" } as unknown as Outbound);
    });
    ws.addEventListener("close", (e) => {
      this.closeInfo = { code: e.code, reason: e.reason };
    });
  }

  private send(m: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(m));
  }

  connected(): void {
    this.send({ event: "connected", protocol: "Call", version: "1.0.0" });
  }

  start(callId: string): void {
    this.send({
      event: "start",
      sequenceNumber: String(++this.seq),
      start: {
        streamSid: this.streamSid,
        accountSid: CALL_FORM.AccountSid,
        callSid: CALL_FORM.CallSid,
        tracks: ["inbound"],
        customParameters: { callId },
        mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
      },
      streamSid: this.streamSid,
    });
  }

  /** 8 kHz samples as 20 ms mu-law media messages. */
  media(samples: Int16Array): void {
    for (let at = 0; at < samples.length; at += 160) {
      const payload = bytesToBase64(muLawEncode(samples.subarray(at, Math.min(at + 160, samples.length))));
      this.chunk++;
      this.send({
        event: "media",
        sequenceNumber: String(++this.seq),
        media: { track: "inbound", chunk: String(this.chunk), timestamp: String(this.chunk * 20), payload },
        streamSid: this.streamSid,
      });
    }
  }

  /** Twilio's echo of a mark we sent: that sentence's audio has played. */
  mark(name: string): void {
    this.send({ event: "mark", streamSid: this.streamSid, sequenceNumber: String(++this.seq), mark: { name } });
  }

  dtmf(digit: string): void {
    this.send({
      event: "dtmf",
      streamSid: this.streamSid,
      sequenceNumber: String(++this.seq),
      dtmf: { track: "inbound_track", digit },
    });
  }

  stop(): void {
    this.send({
      event: "stop",
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      stop: { accountSid: CALL_FORM.AccountSid, callSid: CALL_FORM.CallSid },
    });
  }

  /** Waits for the next message after the cursor matching `predicate`. */
  async until(predicate: (m: Outbound) => boolean, what: string, timeoutMs = 15_000): Promise<Outbound> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.log.length; i++) {
        if (predicate(this.log[i]!)) {
          this.cursor = i + 1;
          return this.log[i]!;
        }
      }
      if (this.closeInfo)
        throw new Error(
          `closed (${this.closeInfo.code} ${this.closeInfo.reason}) before ${what}; got ${this.summary().join(",")}`,
        );
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${this.summary().join(",")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async closed(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closeInfo) {
      if (Date.now() > deadline) throw new Error("timed out waiting for close");
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.closeInfo;
  }

  /** Events so far, consecutive media as one. */
  summary(): string[] {
    const out: string[] = [];
    for (const m of this.log)
      if (!(m.event === "media" && out[out.length - 1] === "media"))
        out.push(m.event === "mark" ? `mark:${m.mark.name}` : m.event);
    return out;
  }
}
