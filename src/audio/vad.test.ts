import { describe, expect, it } from "vitest";
import agentWav from "../../test/fixtures/audio/agent-16k.wav";
import silenceWav from "../../test/fixtures/audio/silence-2s-16k.wav";
import { pcm16ToSamples } from "./pcm";
import { resample } from "./resample";
import { concat, silence, sine, toInt16, withNoise } from "./test-signals";
import { type EndpointEvent, type EndpointerOptions, Endpointer } from "./vad";
import { parseWav } from "./wav";

const DEFAULTS = { thresholdDbfs: -40, minSpeechMs: 120, endSilenceMs: 600 };
/**
 * Where speech starts and ends in agent-16k.wav: first and last sample above ±30 (measured once with a plain scan).
 */
const AGENT_SPEECH_MS = [0, 1853] as const;

function loadPcm(file: Uint8Array): Int16Array {
  const wav = parseWav(file);
  return pcm16ToSamples(wav.data, true);
}

/** White noise at `dbfs` RMS (deterministic). */
function noise(rate: number, ms: number, dbfs: number, seed = 11): Float64Array {
  const rms = 32768 * 10 ** (dbfs / 20);
  return withNoise(silence(rate, ms), rms * rms, 0, seed);
}

/**
 * Speech-like bursts: loud noise "syllables" separated by short dips, as [ms, on] pairs. Dips are
 * -70 dBFS noise (a real line is never digitally silent).
 */
function syllables(rate: number, pattern: [number, boolean][], dbfs = -20): Float64Array {
  return concat(...pattern.map(([ms, on], i) => noise(rate, ms, on ? dbfs : -70, 100 + i)));
}

const WORDS: [number, boolean][] = [
  [180, true],
  [50, false],
  [220, true],
  [60, false],
  [150, true],
  [40, false],
  [250, true],
]; // 950 ms, speech from 0 to 950

interface Heard {
  event: EndpointEvent;
  /** Stream position when push() returned the event. */
  heardMs: number;
}

/** Feeds `samples` in pieces of the given sizes (cycled), collecting events with when they were reported. */
function feed(ep: Endpointer, samples: Int16Array, sizes: number[]): Heard[] {
  const heard: Heard[] = [];
  let at = 0;
  for (let k = 0; at < samples.length; k++) {
    const size = sizes[k % sizes.length]!;
    const piece = samples.subarray(at, at + size);
    at += piece.length;
    for (const event of ep.push(piece)) heard.push({ event, heardMs: (at * 1000) / ep.sampleRate });
  }
  return heard;
}

function endpointer(sampleRate: number, options: Partial<EndpointerOptions> = {}): Endpointer {
  return new Endpointer({ sampleRate, ...DEFAULTS, ...options });
}

function summary(heard: Heard[]): string[] {
  return heard.map(({ event }) => event.type);
}

function ended(h: Heard | undefined): Extract<EndpointEvent, { type: "speech_ended" }> {
  if (h?.event.type !== "speech_ended") throw new Error(`expected speech_ended, got ${JSON.stringify(h?.event)}`);
  return h.event;
}

describe("Endpointer on recorded speech", () => {
  const agent = loadPcm(agentWav);
  // 300 ms silence, the agent prompt (speech 0..1853 ms), 800 ms silence.
  const call = toInt16(concat(silence(16000, 300), Float64Array.from(agent), silence(16000, 800)));
  const speechStart = 300 + AGENT_SPEECH_MS[0];
  const speechEnd = 300 + AGENT_SPEECH_MS[1];

  for (const [name, sizes] of [
    ["20 ms frames", [320]],
    ["odd-sized frames (37, 173, 1, 999 samples)", [37, 173, 1, 999]],
  ] as const) {
    it(`finds one utterance, started and ended within 30 ms, fed as ${name}`, () => {
      const heard = feed(endpointer(16000), call, [...sizes]);
      expect(summary(heard)).toEqual(["speech_started", "speech_ended"]);
      const [started, end] = heard;
      expect(started!.event.atMs).toBeGreaterThanOrEqual(speechStart - 30);
      expect(started!.event.atMs).toBeLessThanOrEqual(speechStart + 30);
      // Reported once minSpeechMs of speech has been heard.
      expect(started!.heardMs - speechStart).toBeGreaterThanOrEqual(120);
      expect(started!.heardMs - speechStart).toBeLessThanOrEqual(120 + 10 + 63);

      const e = ended(end);
      expect(e.reason).toBe("silence");
      expect(Math.abs(e.atMs - speechEnd)).toBeLessThanOrEqual(30);
      // endSilenceMs honoured: reported 600 ms after the speech stopped (plus at most a frame and a push).
      expect(end!.heardMs - e.atMs).toBeGreaterThanOrEqual(600);
      expect(end!.heardMs - e.atMs).toBeLessThanOrEqual(600 + 10 + 63);
    });
  }

  it("gives the same events whatever the framing", () => {
    const strip = (h: Heard[]): unknown[] =>
      h.map(({ event }) => (event.type === "speech_ended" ? { ...event, audio: Array.from(event.audio) } : event));
    const reference = strip(feed(endpointer(16000), call, [320]));
    expect(strip(feed(endpointer(16000), call, [7, 161, 2000]))).toEqual(reference);
    expect(strip(feed(endpointer(16000), call, [call.length]))).toEqual(reference);
  });

  it("hands over the utterance: 200 ms pre-roll, the speech, at most 100 ms of trailing silence", () => {
    const e = ended(feed(endpointer(16000), call, [320])[1]);
    expect(Math.abs(e.audioStartMs - (speechStart - 200))).toBeLessThanOrEqual(10);
    const endMs = e.audioStartMs + (e.audio.length * 1000) / 16000;
    expect(endMs - e.atMs).toBeGreaterThan(0);
    expect(endMs - e.atMs).toBeLessThanOrEqual(100);
    // The audio is the call's own samples at that position.
    const from = (e.audioStartMs * 16000) / 1000;
    expect(Array.from(e.audio.subarray(0, 4000))).toEqual(Array.from(call.subarray(from, from + 4000)));
  });

  it("finds the same utterance in the prompt resampled to 8 and 24 kHz", () => {
    for (const rate of [8000, 24000]) {
      const heard = feed(endpointer(rate), resample(call, 16000, rate), [(rate * 20) / 1000]);
      expect(summary(heard)).toEqual(["speech_started", "speech_ended"]);
      expect(Math.abs(heard[0]!.event.atMs - speechStart)).toBeLessThanOrEqual(30);
      expect(Math.abs(heard[1]!.event.atMs - speechEnd)).toBeLessThanOrEqual(30);
    }
  });

  it("stays quiet on the silence fixture, on line noise below the threshold and on a DC offset", () => {
    const silent = loadPcm(silenceWav);
    expect(feed(endpointer(16000), silent, [320])).toEqual([]);
    expect(feed(endpointer(16000), toInt16(noise(16000, 2000, -50)), [320])).toEqual([]);
    expect(feed(endpointer(16000), toInt16(new Float64Array(32000).fill(4000)), [320])).toEqual([]);
  });
});

describe("Endpointer timing on synthetic speech", () => {
  const words = (rate: number): Int16Array =>
    toInt16(concat(silence(rate, 300), syllables(rate, WORDS), silence(rate, 800)));

  it("places start and end within 30 ms at 8, 16 and 24 kHz, in 20 ms and in odd frames", () => {
    for (const rate of [8000, 16000, 24000]) {
      for (const sizes of [[(rate * 20) / 1000], [13, 331, 77]]) {
        const heard = feed(endpointer(rate), words(rate), sizes);
        expect(summary(heard), `${rate} Hz`).toEqual(["speech_started", "speech_ended"]);
        expect(Math.abs(heard[0]!.event.atMs - 300)).toBeLessThanOrEqual(30);
        expect(Math.abs(heard[1]!.event.atMs - 1250)).toBeLessThanOrEqual(30);
      }
    }
  });

  it("ignores a 30 ms click and a 100 ms burst (shorter than minSpeechMs), but not a 150 ms one", () => {
    const click = toInt16(concat(silence(16000, 300), noise(16000, 30, -6), silence(16000, 1000)));
    expect(feed(endpointer(16000), click, [320])).toEqual([]);
    const clickTone = toInt16(concat(silence(16000, 300), sine(1000, 16000, 30, 30000), silence(16000, 1000)));
    expect(feed(endpointer(16000), clickTone, [320])).toEqual([]);
    const short = toInt16(concat(silence(16000, 300), noise(16000, 100, -20), silence(16000, 1000)));
    expect(feed(endpointer(16000), short, [320])).toEqual([]);
    const long = toInt16(concat(silence(16000, 300), noise(16000, 150, -20), silence(16000, 1000)));
    expect(summary(feed(endpointer(16000), long, [320]))).toEqual(["speech_started", "speech_ended"]);
  });

  it("does not add up clicks 60 ms apart into speech", () => {
    const parts = [silence(16000, 300)];
    for (let i = 0; i < 10; i++) parts.push(noise(16000, 30, -10, i), silence(16000, 60));
    expect(feed(endpointer(16000), toInt16(concat(...parts, silence(16000, 800))), [320])).toEqual([]);
  });

  it("honours endSilenceMs: a 400 ms pause splits the turn at 300 ms, not at 600 ms", () => {
    const twoPhrases = toInt16(
      concat(
        silence(16000, 200),
        syllables(16000, WORDS),
        silence(16000, 400),
        syllables(16000, WORDS),
        silence(16000, 1000),
      ),
    );
    const patient = feed(endpointer(16000, { endSilenceMs: 600 }), twoPhrases, [320]);
    expect(summary(patient)).toEqual(["speech_started", "speech_ended"]);
    expect(Math.abs(patient[1]!.event.atMs - (200 + 950 + 400 + 950))).toBeLessThanOrEqual(30);

    const eager = feed(endpointer(16000, { endSilenceMs: 300 }), twoPhrases, [320]);
    expect(summary(eager)).toEqual(["speech_started", "speech_ended", "speech_started", "speech_ended"]);
    expect(Math.abs(eager[1]!.event.atMs - 1150)).toBeLessThanOrEqual(30);
    expect(eager[1]!.heardMs - eager[1]!.event.atMs).toBeGreaterThanOrEqual(300);
    expect(eager[1]!.heardMs - eager[1]!.event.atMs).toBeLessThanOrEqual(320);
    expect(Math.abs(eager[2]!.event.atMs - 1550)).toBeLessThanOrEqual(30);
  });

  it("needs minSpeechMs of speech: with 400 ms, a 300 ms word is not speech", () => {
    const word = toInt16(concat(silence(16000, 300), noise(16000, 300, -20), silence(16000, 800)));
    expect(feed(endpointer(16000, { minSpeechMs: 400 }), word, [320])).toEqual([]);
    expect(summary(feed(endpointer(16000, { minSpeechMs: 250 }), word, [320]))).toEqual([
      "speech_started",
      "speech_ended",
    ]);
  });

  it("honours thresholdDbfs: -30 dBFS speech is heard at -40 but not at -25", () => {
    const quiet = toInt16(concat(silence(16000, 300), syllables(16000, WORDS, -30), silence(16000, 800)));
    expect(summary(feed(endpointer(16000), quiet, [320]))).toEqual(["speech_started", "speech_ended"]);
    expect(feed(endpointer(16000, { thresholdDbfs: -25 }), quiet, [320])).toEqual([]);
  });

  it("cuts an utterance at maxUtteranceMs and starts the next one if the caller keeps talking", () => {
    const monologue = toInt16(concat(silence(16000, 100), noise(16000, 2500, -20), silence(16000, 800)));
    const heard = feed(endpointer(16000, { maxUtteranceMs: 1000 }), monologue, [320]);
    expect(summary(heard)).toEqual([
      "speech_started",
      "speech_ended",
      "speech_started",
      "speech_ended",
      "speech_started",
      "speech_ended",
    ]);
    const first = ended(heard[1]);
    expect(first.reason).toBe("max_length");
    expect(first.atMs).toBe(1100);
    expect(first.audio.length).toBe(16000 * 1.1); // 100 ms pre-roll (all there was) + 1000 ms
    expect(heard[2]!.event.atMs).toBe(1100);
    expect(ended(heard[5]).reason).toBe("silence");
    expect(Math.abs(heard[5]!.event.atMs - 2600)).toBeLessThanOrEqual(10);
  });

  it("flush() ends an utterance in progress; reset() drops it silently", () => {
    const cut = toInt16(concat(silence(16000, 300), syllables(16000, WORDS)));
    const a = endpointer(16000);
    expect(summary(feed(a, cut, [320]))).toEqual(["speech_started"]);
    expect(a.speaking).toBe(true);
    const [flushed] = a.flush();
    expect(flushed).toMatchObject({ type: "speech_ended", reason: "flush" });
    expect(Math.abs(flushed!.atMs - 1250)).toBeLessThanOrEqual(10);
    expect(a.flush()).toEqual([]);

    const b = endpointer(16000);
    feed(b, cut, [320]);
    b.reset();
    expect(b.speaking).toBe(false);
    expect(feed(b, toInt16(silence(16000, 1000)), [320])).toEqual([]);
    // The clock kept running: the next utterance is placed on the stream's timeline (1250 + 1000 + 300 ms).
    const next = feed(b, toInt16(concat(silence(16000, 300), syllables(16000, WORDS), silence(16000, 800))), [320]);
    expect(Math.abs(next[0]!.event.atMs - 2550)).toBeLessThanOrEqual(30);
  });
});

describe("Endpointer noise floor", () => {
  it("learns a steady background above the threshold and then hears speech over it", () => {
    // -30 dBFS hiss (10 dB above the -40 threshold) for 5 s, then words at -10 dBFS over it.
    const hiss = noise(16000, 8000, -30, 5);
    const words = concat(silence(16000, 5000), syllables(16000, WORDS, -10), silence(16000, 2050));
    const ep = endpointer(16000);
    const heard = feed(ep, toInt16(hiss.map((v, i) => v + words[i]!)), [320]);
    // The hiss counts as speech only until the floor is known (3 s of audio): one junk utterance at the start.
    expect(summary(heard)).toEqual(["speech_started", "speech_ended", "speech_started", "speech_ended"]);
    expect(heard[0]!.event.atMs).toBe(0);
    expect(heard[1]!.event.atMs).toBeLessThanOrEqual(3100);
    expect(Math.abs(heard[2]!.event.atMs - 5000)).toBeLessThanOrEqual(30);
    expect(Math.abs(heard[3]!.event.atMs - 5950)).toBeLessThanOrEqual(30);
    expect(ep.noiseFloorDbfs).toBeGreaterThan(-33);
    expect(ep.noiseFloorDbfs).toBeLessThan(-29);
  });

  it("leaves the threshold alone on a quiet line", () => {
    const ep = endpointer(16000);
    const quietLine = noise(16000, 5000, -60, 3);
    const words = concat(silence(16000, 3300), syllables(16000, WORDS, -35), silence(16000, 750));
    const heard = feed(ep, toInt16(quietLine.map((v, i) => v + words[i]!)), [320]);
    expect(ep.noiseFloorDbfs).toBeLessThan(-55);
    expect(summary(heard)).toEqual(["speech_started", "speech_ended"]);
    expect(Math.abs(heard[0]!.event.atMs - 3300)).toBeLessThanOrEqual(30);
    expect(Math.abs(heard[1]!.event.atMs - 4250)).toBeLessThanOrEqual(30);
  });
});

describe("Endpointer options", () => {
  it("refuses nonsense", () => {
    expect(() => endpointer(0)).toThrow(RangeError);
    expect(() => endpointer(16000, { endSilenceMs: -1 })).toThrow(RangeError);
    expect(() => endpointer(16000, { thresholdDbfs: Number.NaN })).toThrow(RangeError);
    expect(() => endpointer(16000, { maxUtteranceMs: 100 })).toThrow(/maxUtteranceMs/);
  });
});
