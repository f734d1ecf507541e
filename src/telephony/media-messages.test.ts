import { describe, expect, it } from "vitest";
import {
  clearMessage,
  markMessage,
  mediaMessage,
  mediaPayloadBytes,
  parseTwilioMessage,
  type ParseResult,
  type TwilioMessage,
} from "./media-messages";

/**
 * Samples copied from https://www.twilio.com/docs/voice/media-streams/websocket-messages. The docs
 * abbreviate media payloads ("no+JhoaJjpz..."); the samples complete them to valid base64.
 */
const SAMPLES = {
  connected: `{
  "event": "connected",
  "protocol": "Call",
  "version": "1.0.0"
}`,
  start: `{
  "event": "start",
  "sequenceNumber": "1",
  "start": {
    "accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "tracks": ["inbound"],
    "mediaFormat": {
      "encoding": "audio/x-mulaw",
      "sampleRate": 8000,
      "channels": 1
    },
    "customParameters": {
      "FirstName": "Jane",
      "LastName": "Doe",
      "RemoteParty": "Bob"
    }
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}`,
  mediaOutbound: `{
  "event": "media",
  "sequenceNumber": "3",
  "media": {
    "track": "outbound",
    "chunk": "1",
    "timestamp": "5",
    "payload": "no+JhoaJjpz="
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}`,
  mediaInbound: `{
  "event": "media",
  "sequenceNumber": "4",
  "media": {
    "track": "inbound",
    "chunk": "2",
    "timestamp": "5",
    "payload": "no+JhoaJjpzS"
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}`,
  stop: `{
  "event": "stop",
  "sequenceNumber": "5",
  "stop": {
    "accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}`,
  dtmf: `{
  "event": "dtmf",
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "sequenceNumber": "5",
  "dtmf": {
    "track": "inbound_track",
    "digit": "1"
  }
}`,
  mark: `{
  "event": "mark",
  "sequenceNumber": "4",
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "mark": {
    "name": "my label"
  }
}`,
};

const STREAM = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

function ok(result: ParseResult): TwilioMessage {
  if (!result.ok) throw new Error(`expected a message, got ${result.error.kind}: ${result.error.detail}`);
  return result.message;
}

function err(result: ParseResult) {
  if (result.ok) throw new Error(`expected an error, got a ${result.message.event} message`);
  return result.error;
}

/** A sample with one field replaced (path of keys), for negative cases. */
function withField(sample: string, path: string[], value: unknown): string {
  const obj = JSON.parse(sample) as Record<string, unknown>;
  let node = obj;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return JSON.stringify(obj);
}

describe("parseTwilioMessage: Twilio's documented samples", () => {
  it("connected", () => {
    expect(ok(parseTwilioMessage(SAMPLES.connected))).toEqual({
      event: "connected",
      protocol: "Call",
      version: "1.0.0",
    });
  });

  it("start", () => {
    const m = ok(parseTwilioMessage(SAMPLES.start));
    expect(m).toEqual({
      event: "start",
      sequenceNumber: "1",
      start: {
        accountSid: "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        streamSid: STREAM,
        callSid: "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        tracks: ["inbound"],
        mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
        customParameters: { FirstName: "Jane", LastName: "Doe", RemoteParty: "Bob" },
      },
      streamSid: STREAM,
    });
  });

  it("media, both tracks, counters kept as strings", () => {
    const out = ok(parseTwilioMessage(SAMPLES.mediaOutbound));
    expect(out).toEqual({
      event: "media",
      sequenceNumber: "3",
      media: { track: "outbound", chunk: "1", timestamp: "5", payload: "no+JhoaJjpz=" },
      streamSid: STREAM,
    });
    const inbound = ok(parseTwilioMessage(SAMPLES.mediaInbound));
    if (inbound.event !== "media") throw new Error("not media");
    expect(inbound.media.track).toBe("inbound");
    expect(typeof inbound.sequenceNumber).toBe("string");
    expect(typeof inbound.media.chunk).toBe("string");
    expect(typeof inbound.media.timestamp).toBe("string");
    expect(mediaPayloadBytes(inbound)).toEqual(Uint8Array.from(atob("no+JhoaJjpzS"), (c) => c.charCodeAt(0)));
  });

  it("stop", () => {
    expect(ok(parseTwilioMessage(SAMPLES.stop))).toEqual({
      event: "stop",
      sequenceNumber: "5",
      stop: { accountSid: "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", callSid: "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" },
      streamSid: STREAM,
    });
  });

  it("dtmf", () => {
    expect(ok(parseTwilioMessage(SAMPLES.dtmf))).toEqual({
      event: "dtmf",
      streamSid: STREAM,
      sequenceNumber: "5",
      dtmf: { track: "inbound_track", digit: "1" },
    });
  });

  it("mark", () => {
    expect(ok(parseTwilioMessage(SAMPLES.mark))).toEqual({
      event: "mark",
      sequenceNumber: "4",
      streamSid: STREAM,
      mark: { name: "my label" },
    });
  });

  it("narrows on event", () => {
    const m = ok(parseTwilioMessage(SAMPLES.start));
    if (m.event === "start") expect(m.start.customParameters.FirstName).toBe("Jane");
    else throw new Error("not start");
  });

  it("reads a start message without customParameters as none, and drops unknown fields", () => {
    const m = ok(
      parseTwilioMessage(
        withField(withField(SAMPLES.start, ["start", "customParameters"], undefined), ["start", "futureField"], 1),
      ),
    );
    if (m.event !== "start") throw new Error("not start");
    expect(m.start.customParameters).toEqual({});
    expect("futureField" in m.start).toBe(false);
  });
});

describe("parseTwilioMessage: errors", () => {
  it("binary frames", () => {
    expect(err(parseTwilioMessage(new Uint8Array(3)))).toEqual({
      kind: "binary_frame",
      detail: expect.stringMatching(/3 bytes/),
    });
    expect(err(parseTwilioMessage(new ArrayBuffer(8))).kind).toBe("binary_frame");
  });

  it("invalid JSON, without echoing the input", () => {
    const e = err(parseTwilioMessage('{"event": "media", "secret": "CALLER-DATA'));
    expect(e.kind).toBe("invalid_json");
    expect(e.detail).not.toContain("CALLER-DATA");
  });

  it("JSON that is not an event", () => {
    expect(err(parseTwilioMessage("[1,2]")).kind).toBe("not_an_event");
    expect(err(parseTwilioMessage("null")).kind).toBe("not_an_event");
    expect(err(parseTwilioMessage('"media"')).kind).toBe("not_an_event");
    expect(err(parseTwilioMessage('{"event": 3}'))).toEqual({
      kind: "not_an_event",
      detail: 'no string "event" field',
    });
  });

  it("unknown events are reported as such (a caller may ignore them)", () => {
    expect(err(parseTwilioMessage('{"event":"transcription","streamSid":"MZ1"}'))).toEqual({
      kind: "unknown_event",
      detail: 'unknown event "transcription"',
      event: "transcription",
    });
    // Events we send are not events Twilio sends.
    expect(err(parseTwilioMessage(clearMessage(STREAM))).kind).toBe("unknown_event");
  });

  it("too large", () => {
    expect(err(parseTwilioMessage(" ".repeat(256 * 1024 + 1))).kind).toBe("too_large");
  });

  it("names the field of a known event that is not the documented shape", () => {
    const cases: [string, string, RegExp][] = [
      ["numeric sequenceNumber", withField(SAMPLES.mediaInbound, ["sequenceNumber"], 4), /sequenceNumber/],
      [
        "non-digit chunk",
        withField(SAMPLES.mediaInbound, ["media", "chunk"], "two"),
        /media\.chunk: expected a string of decimal digits/,
      ],
      [
        "payload not base64",
        withField(SAMPLES.mediaInbound, ["media", "payload"], "not base64!"),
        /media\.payload: expected base64/,
      ],
      ["unknown track", withField(SAMPLES.mediaInbound, ["media", "track"], "sideways"), /media\.track/],
      ["missing streamSid", withField(SAMPLES.mediaInbound, ["streamSid"], undefined), /streamSid/],
      [
        "another encoding",
        withField(SAMPLES.start, ["start", "mediaFormat", "encoding"], "audio/L16"),
        /start\.mediaFormat\.encoding/,
      ],
      [
        "another sample rate",
        withField(SAMPLES.start, ["start", "mediaFormat", "sampleRate"], 16000),
        /start\.mediaFormat\.sampleRate/,
      ],
      [
        "sample rate as a string",
        withField(SAMPLES.start, ["start", "mediaFormat", "sampleRate"], "8000"),
        /start\.mediaFormat\.sampleRate/,
      ],
      ["stereo", withField(SAMPLES.start, ["start", "mediaFormat", "channels"], 2), /start\.mediaFormat\.channels/],
      ["missing callSid", withField(SAMPLES.start, ["start", "callSid"], undefined), /start\.callSid/],
      [
        "custom parameter not a string",
        withField(SAMPLES.start, ["start", "customParameters", "FirstName"], 1),
        /start\.customParameters\.FirstName/,
      ],
      ["two DTMF digits", withField(SAMPLES.dtmf, ["dtmf", "digit"], "12"), /dtmf\.digit: expected one DTMF key/],
      ["mark without name", withField(SAMPLES.mark, ["mark"], {}), /mark\.name/],
      ["stop without accountSid", withField(SAMPLES.stop, ["stop", "accountSid"], undefined), /stop\.accountSid/],
      ["connected without version", withField(SAMPLES.connected, ["version"], undefined), /version/],
    ];
    for (const [what, text, detail] of cases) {
      const e = err(parseTwilioMessage(text));
      expect(e.kind, what).toBe("invalid_shape");
      expect(e.detail, what).toMatch(detail);
      expect(e.event, what).toBe((JSON.parse(text) as { event: string }).event);
    }
  });

  it("does not echo field values in the detail", () => {
    const e = err(
      parseTwilioMessage(
        withField(SAMPLES.start, ["start", "customParameters", "FirstName"], { secret: "Jane Doe 555-0100" }),
      ),
    );
    expect(e.detail).not.toContain("555-0100");
  });
});

describe("outbound messages", () => {
  it("mediaMessage base64-encodes the mu-law bytes (the documented outbound shape)", () => {
    // A 20 ms frame at 8 kHz: 160 bytes.
    const frame = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    const wire = mediaMessage(STREAM, frame);
    const parsed = JSON.parse(wire) as { event: string; streamSid: string; media: { payload: string } };
    expect(Object.keys(parsed)).toEqual(["event", "streamSid", "media"]);
    expect(parsed.event).toBe("media");
    expect(parsed.streamSid).toBe(STREAM);
    expect(Object.keys(parsed.media)).toEqual(["payload"]);
    expect(Uint8Array.from(atob(parsed.media.payload), (c) => c.charCodeAt(0))).toEqual(frame);
    expect(parsed.media.payload).toHaveLength(216);
  });

  it("mediaMessage encodes known bytes exactly", () => {
    expect(mediaMessage("MZ1", new Uint8Array([0xff, 0x7f, 0x00]))).toBe(
      '{"event":"media","streamSid":"MZ1","media":{"payload":"/38A"}}',
    );
  });

  it("markMessage and clearMessage match the documented examples", () => {
    expect(JSON.parse(markMessage(STREAM, "my label"))).toEqual({
      event: "mark",
      streamSid: STREAM,
      mark: { name: "my label" },
    });
    expect(JSON.parse(clearMessage(STREAM))).toEqual({ event: "clear", streamSid: STREAM });
    expect(markMessage("MZ1", 'say "hi"\n')).toBe(
      '{"event":"mark","streamSid":"MZ1","mark":{"name":"say \\"hi\\"\\n"}}',
    );
  });

  it("a mark we send parses back as the mark Twilio echoes, once it has a sequenceNumber", () => {
    const echoed = { ...(JSON.parse(markMessage(STREAM, "turn-3")) as object), sequenceNumber: "9" };
    expect(ok(parseTwilioMessage(JSON.stringify(echoed)))).toEqual({
      event: "mark",
      sequenceNumber: "9",
      streamSid: STREAM,
      mark: { name: "turn-3" },
    });
  });

  it("refuses an empty streamSid, mark name or frame", () => {
    expect(() => mediaMessage("", new Uint8Array(1))).toThrow(/streamSid/);
    expect(() => mediaMessage(STREAM, new Uint8Array(0))).toThrow(/no audio/);
    expect(() => markMessage(STREAM, "")).toThrow(/mark name/);
    expect(() => clearMessage("")).toThrow(/streamSid/);
  });
});
