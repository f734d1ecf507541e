import { describe, expect, it } from "vitest";
import { parseTwilioMessage, type TwilioMessage } from "./media-messages";
import { SequenceCounter, TwilioSequenceTracker } from "./sequence";

const STREAM = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

function media(seq: number, chunk: number, track: "inbound" | "outbound" = "inbound"): TwilioMessage {
  return {
    event: "media",
    sequenceNumber: String(seq),
    media: { track, chunk: String(chunk), timestamp: String(chunk * 20), payload: "//8=" },
    streamSid: STREAM,
  };
}

describe("SequenceCounter", () => {
  it("reports nothing for consecutive numbers", () => {
    const c = new SequenceCounter("sequenceNumber");
    for (let n = 1; n <= 100; n++) expect(c.observe(n)).toBeNull();
    expect(c.stats()).toEqual({
      observed: 100,
      first: 1,
      highest: 100,
      gaps: 0,
      skipped: 0,
      late: 0,
      duplicates: 0,
      lost: 0,
    });
  });

  it("takes the first number as the baseline", () => {
    const c = new SequenceCounter("sequenceNumber");
    expect(c.observe(500)).toBeNull();
    expect(c.observe(501)).toBeNull();
    expect(c.stats().first).toBe(500);
  });

  it("reports a gap with the count of missing numbers", () => {
    const c = new SequenceCounter("sequenceNumber");
    c.observe(1);
    c.observe(2);
    expect(c.observe(6)).toEqual({ counter: "sequenceNumber", kind: "gap", expected: 3, got: 6, missing: 3 });
    expect(c.observe(7)).toBeNull();
    expect(c.stats()).toMatchObject({ gaps: 1, skipped: 3, lost: 3, highest: 7 });
  });

  it("tells a late (reordered) number from a duplicate", () => {
    const c = new SequenceCounter("chunk:inbound");
    c.observe(1);
    c.observe(3); // gap: 2 missing
    expect(c.observe(2)).toEqual({ counter: "chunk:inbound", kind: "late", expected: 4, got: 2 });
    expect(c.observe(2)).toEqual({ counter: "chunk:inbound", kind: "duplicate", expected: 4, got: 2 });
    expect(c.observe(3)).toEqual({ counter: "chunk:inbound", kind: "duplicate", expected: 4, got: 3 });
    expect(c.observe(4)).toBeNull();
    expect(c.stats()).toEqual({
      observed: 6,
      first: 1,
      highest: 4,
      gaps: 1,
      skipped: 1,
      late: 1,
      duplicates: 2,
      lost: 0,
    });
  });

  it("swapped neighbours: a gap of one, then the late one", () => {
    const c = new SequenceCounter("sequenceNumber");
    const seen = [1, 2, 4, 3, 5].map((n) => c.observe(n)?.kind ?? "ok");
    expect(seen).toEqual(["ok", "ok", "gap", "late", "ok"]);
    expect(c.stats().lost).toBe(0);
  });

  it("remembers missing numbers only within the window", () => {
    const c = new SequenceCounter("sequenceNumber", 4);
    c.observe(1);
    expect(c.observe(100)).toMatchObject({ kind: "gap", missing: 98 });
    expect(c.observe(97)?.kind).toBe("late"); // within the last 4
    expect(c.observe(50)?.kind).toBe("duplicate"); // too old to tell
    c.observe(101);
    c.observe(110); // 102..109 missing; the window keeps 106..109
    expect(c.observe(99)?.kind).toBe("duplicate"); // pruned
    expect(c.observe(108)?.kind).toBe("late");
  });

  it("ignores values that are not non-negative safe integers", () => {
    const c = new SequenceCounter("sequenceNumber");
    expect(c.observe(Number.NaN)).toBeNull();
    expect(c.observe(2 ** 60)).toBeNull();
    expect(c.observe(-1)).toBeNull();
    expect(c.stats().observed).toBe(0);
  });
});

describe("TwilioSequenceTracker", () => {
  it("follows a documented stream in order without anomalies", () => {
    const t = new TwilioSequenceTracker();
    const wire = [
      '{"event":"connected","protocol":"Call","version":"1.0.0"}',
      `{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"${STREAM}","callSid":"CA1",` +
        '"tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},' +
        `"customParameters":{}},"streamSid":"${STREAM}"}`,
      '{"event":"media","sequenceNumber":"2",' +
        `"media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"//8="},"streamSid":"${STREAM}"}`,
      '{"event":"media","sequenceNumber":"3",' +
        `"media":{"track":"inbound","chunk":"2","timestamp":"25","payload":"//8="},"streamSid":"${STREAM}"}`,
      `{"event":"dtmf","streamSid":"${STREAM}","sequenceNumber":"4","dtmf":{"track":"inbound_track","digit":"1"}}`,
      `{"event":"mark","sequenceNumber":"5","streamSid":"${STREAM}","mark":{"name":"greeting"}}`,
      '{"event":"media","sequenceNumber":"6",' +
        `"media":{"track":"inbound","chunk":"3","timestamp":"45","payload":"//8="},"streamSid":"${STREAM}"}`,
      `{"event":"stop","sequenceNumber":"7","stop":{"accountSid":"AC1","callSid":"CA1"},"streamSid":"${STREAM}"}`,
    ];
    for (const text of wire) {
      const parsed = parseTwilioMessage(text);
      if (!parsed.ok) throw new Error(parsed.error.detail);
      expect(t.observe(parsed.message)).toEqual([]);
    }
    const stats = t.stats();
    expect(stats.sequenceNumber).toMatchObject({ observed: 7, first: 1, highest: 7, gaps: 0, lost: 0 });
    expect(stats.chunks).toEqual({ inbound: expect.objectContaining({ observed: 3, first: 1, highest: 3, gaps: 0 }) });
  });

  it("reports a dropped media frame on both counters", () => {
    const t = new TwilioSequenceTracker();
    t.observe(media(2, 1));
    expect(t.observe(media(4, 3))).toEqual([
      { counter: "sequenceNumber", kind: "gap", expected: 3, got: 4, missing: 1 },
      { counter: "chunk:inbound", kind: "gap", expected: 2, got: 3, missing: 1 },
    ]);
  });

  it("a dropped non-media message shows only in sequenceNumber", () => {
    const t = new TwilioSequenceTracker();
    t.observe(media(2, 1));
    // sequenceNumber 3 (say a mark) was lost; the chunks are contiguous.
    expect(t.observe(media(4, 2))).toEqual([
      { counter: "sequenceNumber", kind: "gap", expected: 3, got: 4, missing: 1 },
    ]);
  });

  it("reports reordered frames as late", () => {
    const t = new TwilioSequenceTracker();
    t.observe(media(2, 1));
    t.observe(media(4, 3));
    expect(t.observe(media(3, 2))).toEqual([
      { counter: "sequenceNumber", kind: "late", expected: 5, got: 3 },
      { counter: "chunk:inbound", kind: "late", expected: 4, got: 2 },
    ]);
    expect(t.stats().chunks.inbound).toMatchObject({ gaps: 1, late: 1, lost: 0 });
  });

  it("counts chunks per track", () => {
    const t = new TwilioSequenceTracker();
    expect(t.observe(media(2, 1, "inbound"))).toEqual([]);
    expect(t.observe(media(3, 1, "outbound"))).toEqual([]);
    expect(t.observe(media(4, 2, "inbound"))).toEqual([]);
    expect(t.observe(media(5, 3, "outbound"))).toEqual([
      { counter: "chunk:outbound", kind: "gap", expected: 2, got: 3, missing: 1 },
    ]);
    expect(Object.keys(t.stats().chunks).sort()).toEqual(["inbound", "outbound"]);
  });

  it("ignores connected (it has no sequenceNumber)", () => {
    const t = new TwilioSequenceTracker();
    expect(t.observe({ event: "connected", protocol: "Call", version: "1.0.0" })).toEqual([]);
    expect(t.stats().sequenceNumber.observed).toBe(0);
  });
});
