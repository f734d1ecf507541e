import { describe, expect, it } from "vitest";
import { ManualTimers } from "../../lib/timers";
import { AttachmentWriter, CLOCK_SAVE_MS, type StreamAttachment } from "./stream-state";

function socket() {
  const written: number[] = [];
  const ws = { serializeAttachment: (a: StreamAttachment) => written.push(a.heard) } as unknown as WebSocket;
  return { ws, written };
}

const attachment = (): StreamAttachment => ({
  v: 1,
  callId: "c",
  requestId: "r",
  heard: 0,
  digits: "",
  lastDigitMs: -1,
});

describe("AttachmentWriter", () => {
  it("writes a second of clock-only frames twice, each time with the latest clock, then holds no timer", () => {
    const { ws, written } = socket();
    const timers = new ManualTimers();
    const state = attachment();
    const writer = new AttachmentWriter(ws, state, timers);
    for (let frame = 0; frame < 50; frame++) {
      state.heard += 320; // 20 ms at 16 kHz
      writer.soon();
      timers.advance(20);
    }
    // Written at 500 ms (25 frames heard) and at 1,000 ms (50), not 50 times.
    expect(written).toEqual([25 * 320, 50 * 320]);
    expect(CLOCK_SAVE_MS).toBe(500);
    // Nothing pending once written: the object may hibernate.
    expect(timers.pending).toBe(0);
  });

  it("now() writes at once and drops the pending write", () => {
    const { ws, written } = socket();
    const timers = new ManualTimers();
    const state = attachment();
    const writer = new AttachmentWriter(ws, state, timers);
    writer.soon();
    state.heard = 7;
    writer.now();
    expect(written).toEqual([7]);
    expect(timers.pending).toBe(0);
    timers.advance(CLOCK_SAVE_MS);
    expect(written).toEqual([7]);
  });
});
