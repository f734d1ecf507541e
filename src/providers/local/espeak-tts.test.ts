// SPDX-License-Identifier: GPL-3.0-or-later
import { describe, expect, it, vi } from "vitest";
import { discardEspeakEngine, EspeakEngine, getEspeakEngine, readDataPack } from "./espeak-engine";
import {
  cleanText,
  LocalSpeechSynthesizer,
  resolveVoice,
  splitText,
  TextTooLongError,
  UnsupportedLanguageError,
} from "./espeak-tts";
import { LocalSpeechSynthesizer as DisabledSynthesizer } from "./espeak-tts.disabled";
import englishData from "./vendor/espeak-ng-en.bin";

const BALANCE = "Your balance is one hundred dollars";
const tts = new LocalSpeechSynthesizer();
const say = (text: string, extra: { voice?: string; rate?: number; language?: string } = {}) =>
  tts.synthesize({ text, language: extra.language ?? "en-US", sampleRate: 8000, ...extra });

// ---- small signal-analysis helpers -------------------------------------------------------------

const FRAME = 0.02; // seconds

function frames(x: Int16Array, rate: number, seconds = FRAME): Float64Array[] {
  const n = Math.round(rate * seconds);
  const out: Float64Array[] = [];
  for (let at = 0; at + n <= x.length; at += n) out.push(Float64Array.from(x.subarray(at, at + n), (v) => v / 32768));
  return out;
}
const rms = (f: Float64Array) => Math.sqrt(f.reduce((s, v) => s + v * v, 0) / f.length);
const zcr = (f: Float64Array) => {
  let z = 0;
  for (let i = 1; i < f.length; i++) if (f[i - 1]! < 0 !== f[i]! < 0) z++;
  return z / f.length;
};
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const std = (a: number[]) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

/** Frames louder than -40 dBFS: the "speech" part. */
function voiced(x: Int16Array, rate: number): Float64Array[] {
  return frames(x, rate).filter((f) => rms(f) > 0.01);
}

function powerSpectrum(f: Float64Array): Float64Array {
  const n = 1 << Math.ceil(Math.log2(f.length));
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < f.length; i++) re[i] = f[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (f.length - 1)));
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * wr - im[b]! * wi;
        const ti = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
  return Float64Array.from({ length: n / 2 }, (_, k) => re[k]! ** 2 + im[k]! ** 2);
}

/** Fundamental frequency of a voiced frame by autocorrelation, 70..400 Hz, or undefined. */
function pitch(f: Float64Array, rate: number): number | undefined {
  const minLag = Math.floor(rate / 400);
  const maxLag = Math.ceil(rate / 70);
  let energy = 0;
  for (const v of f) energy += v * v;
  let best = 0;
  let bestLag = 0;
  for (let lag = minLag; lag <= maxLag && lag < f.length; lag++) {
    let c = 0;
    for (let i = 0; i + lag < f.length; i++) c += f[i]! * f[i + lag]!;
    if (c > best) {
      best = c;
      bestLag = lag;
    }
  }
  return best > 0.5 * energy && bestLag ? rate / bestLag : undefined;
}

function medianPitch(x: Int16Array, rate: number): number {
  const f0 = frames(x, rate, 0.04)
    .filter((f) => rms(f) > 0.03)
    .map((f) => pitch(f, rate))
    .filter((p): p is number => p !== undefined);
  return median(f0);
}

/** Per-band log energies over time (16 bands), flattened: a crude spectrogram. */
function logSpectrogram(x: Int16Array, rate: number): number[] {
  return frames(x, rate).flatMap((f) => {
    const p = powerSpectrum(f);
    const bands: number[] = [];
    const width = Math.floor(p.length / 16);
    for (let b = 0; b < 16; b++)
      bands.push(Math.log10(1e-9 + p.subarray(b * width, (b + 1) * width).reduce((s, v) => s + v, 0)));
    return bands;
  });
}

function correlation(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const ma = mean(a.slice(0, n));
  const mb = mean(b.slice(0, n));
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

// ---- speech, not a tone ------------------------------------------------------------------------

describe("LocalSpeechSynthesizer: the audio is speech", () => {
  it("says a short sentence as >= 1 s of non-silent 16-bit mono audio at 22050 Hz", async () => {
    const { samples, sampleRate } = await say(BALANCE);
    expect(sampleRate).toBe(22050);
    expect(samples).toBeInstanceOf(Int16Array);
    const seconds = samples.length / sampleRate;
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThan(4);
    const speech = voiced(samples, sampleRate).length * FRAME;
    expect(speech).toBeGreaterThanOrEqual(1);
    const peak = samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(8000);
  });

  it("has syllable-like loudness modulation and varying zero-crossing rate", async () => {
    const { samples, sampleRate } = await say(BALANCE);
    const all = frames(samples, sampleRate);
    const energy = all.map(rms);
    // A steady tone has a coefficient of variation near 0; speech is far above 0.5.
    expect(std(energy) / mean(energy)).toBeGreaterThan(0.5);

    // Syllable nuclei: peaks of the smoothed envelope that stand 6 dB above the dips around them.
    const smooth = energy.map((_, i) => mean(energy.slice(Math.max(0, i - 2), i + 3)));
    let peaks = 0;
    let rising = true;
    let lastDip = smooth[0]!;
    for (let i = 1; i < smooth.length; i++) {
      if (rising && smooth[i]! < smooth[i - 1]!) {
        if (smooth[i - 1]! > 2 * lastDip && smooth[i - 1]! > 0.02) peaks++;
        rising = false;
      } else if (!rising && smooth[i]! > smooth[i - 1]!) {
        lastDip = smooth[i - 1]!;
        rising = true;
      }
    }
    // "Your bal-ance is one hun-dred dol-lars" has 9 syllables.
    expect(peaks).toBeGreaterThanOrEqual(4);
    expect(peaks).toBeLessThanOrEqual(14);

    // Vowels cross zero rarely, fricatives (s, z) often: the rate varies a lot between frames.
    const z = voiced(samples, sampleRate).map(zcr);
    expect(Math.max(...z)).toBeGreaterThan(3 * Math.min(...z));
    expect(std(z) / mean(z)).toBeGreaterThan(0.3);
  });

  it("has a broad, changing spectrum rather than a single peak", async () => {
    const { samples, sampleRate } = await say(BALANCE);
    const spectra = voiced(samples, sampleRate).map(powerSpectrum);
    const avg = new Float64Array(spectra[0]!.length);
    for (const s of spectra) s.forEach((v, k) => (avg[k]! += v / spectra.length));
    const total = avg.reduce((s, v) => s + v, 0);
    const top = avg.indexOf(Math.max(...avg));
    const around = avg.slice(Math.max(0, top - 2), top + 3).reduce((s, v) => s + v, 0);
    expect(around / total).toBeLessThan(0.5);
    // Many frequency bins within 30 dB of the strongest one (a tone has a handful).
    const strong = avg.filter((v) => v > avg[top]! / 1000).length;
    expect(strong).toBeGreaterThan(avg.length / 10);
    // The spectral centroid moves: vowels low, sibilants high.
    const hzPerBin = sampleRate / (2 * avg.length);
    const centroids = spectra.map(
      (s) => (s.reduce((a, v, k) => a + v * k, 0) / s.reduce((a, v) => a + v, 0)) * hzPerBin,
    );
    expect(Math.max(...centroids) - Math.min(...centroids)).toBeGreaterThan(1500);
  });

  it("voiced frames have a male-range fundamental for the default voice", async () => {
    const { samples, sampleRate } = await say(BALANCE);
    const f0 = medianPitch(samples, sampleRate);
    expect(f0).toBeGreaterThan(80);
    expect(f0).toBeLessThan(180);
  });

  it("longer text gives proportionally longer audio", async () => {
    const one = await say(BALANCE);
    const three = await say(`${BALANCE}. ${BALANCE}. ${BALANCE}.`);
    const ratio = three.samples.length / one.samples.length;
    expect(ratio).toBeGreaterThan(2.2);
    expect(ratio).toBeLessThan(3.8);
  });

  it("different sentences give different audio", async () => {
    const a = await say(BALANCE);
    const b = await say("Please hold while I transfer your call to an agent");
    const a2 = await say(BALANCE);
    const sa = logSpectrogram(a.samples, a.sampleRate);
    const sb = logSpectrogram(b.samples, b.sampleRate);
    const sa2 = logSpectrogram(a2.samples, a2.sampleRate);
    // The same sentence twice is (nearly) the same audio; a different sentence is not.
    expect(correlation(sa, sa2)).toBeGreaterThan(0.95);
    expect(correlation(sa, sb)).toBeLessThan(0.6);
    expect(Math.abs(b.samples.length - a.samples.length)).toBeGreaterThan(0.2 * a.sampleRate);
  });
});

// ---- voices, rate, input handling --------------------------------------------------------------

describe("LocalSpeechSynthesizer: options and input", () => {
  it("is the 'local' provider in the 'edge' region", () => {
    expect(tts.name).toBe("local");
    expect(tts.region).toBe("edge");
  });

  it("speaks faster at a higher rate", async () => {
    const slow = await say(BALANCE, { rate: 120 });
    const fast = await say(BALANCE, { rate: 300 });
    expect(slow.samples.length / fast.samples.length).toBeGreaterThan(1.6);
    const configured = await new LocalSpeechSynthesizer({ rate: 300 }).synthesize({
      text: BALANCE,
      language: "en-US",
      sampleRate: 8000,
    });
    expect(Math.abs(configured.samples.length - fast.samples.length)).toBeLessThan(0.05 * fast.samples.length);
  });

  it("selects English accents and voice variants", async () => {
    const us = await say("The tomato is on the water bottle", { voice: "en-us" });
    const gb = await say("The tomato is on the water bottle", { voice: "en-gb" });
    expect(correlation(logSpectrogram(us.samples, 22050), logSpectrogram(gb.samples, 22050))).toBeLessThan(0.9);
    const byLanguage = await say("The tomato is on the water bottle", { language: "en-GB" });
    expect(correlation(logSpectrogram(gb.samples, 22050), logSpectrogram(byLanguage.samples, 22050))).toBeGreaterThan(
      0.95,
    );

    const female = await say(BALANCE, { voice: "en-us+f3" });
    expect(medianPitch(female.samples, 22050)).toBeGreaterThan(1.4 * medianPitch((await say(BALANCE)).samples, 22050));
    for (const voice of ["en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en+whisper", "m3"]) {
      const r = await say("Thank you for calling", { voice });
      expect(voiced(r.samples, r.sampleRate).length, voice).toBeGreaterThan(10);
    }
  });

  it("maps voices and languages to the bundled eSpeak voices", () => {
    const engine = { variants: new Set(["f3", "m3", "whisper", "Alex"]) };
    expect(resolveVoice(undefined, "en-US", engine)).toBe("gmw/en-US");
    expect(resolveVoice(undefined, "en-GB", engine)).toBe("gmw/en");
    expect(resolveVoice(undefined, "en-AU", engine)).toBe("gmw/en");
    expect(resolveVoice(undefined, "en-CA", engine)).toBe("gmw/en-US");
    expect(resolveVoice("en-us+F3", "en-GB", engine)).toBe("gmw/en-US+f3");
    expect(resolveVoice("alex", "en-GB", engine)).toBe("gmw/en+Alex");
    expect(resolveVoice("en-gb-x-rp", "en-US", engine)).toBe("gmw/en-GB-x-rp");
    expect(resolveVoice("en-us+nosuchvariant", "en-US", engine)).toBe("gmw/en-US");
    expect(resolveVoice("Joanna", "en-US", engine)).toBe("gmw/en-US");
    expect(() => resolveVoice(undefined, "fr-FR", engine)).toThrow(UnsupportedLanguageError);
    expect(() => resolveVoice("Joanna", "de", engine)).toThrow(UnsupportedLanguageError);
  });

  it("refuses a non-English language, so the next provider in the chain is tried", async () => {
    await expect(say("Bonjour", { language: "fr-FR" })).rejects.toThrow(UnsupportedLanguageError);
  });

  it("strips control characters and reads markup characters as text", async () => {
    expect(cleanText("a\u0000b\u0007c\u001b[31m\u007f\u0085 d\r\n\te\u200b\u202e f\uD800")).toBe("abc[31m d e f");
    const clean = await say(BALANCE);
    const dirty = await say(`\u0000${BALANCE.replace(/ /g, " \u0007")}\u001b\n`);
    expect(Math.abs(dirty.samples.length - clean.samples.length)).toBeLessThan(0.02 * clean.samples.length);
    // With SSML parsing left on, "<speak>" and "&" would be markup and "[[...]]" phoneme codes.
    for (const text of ["Tom & Jerry <speak>", "<break time='10s'/> hello", "[[h@l'oU]] & &amp; </voice>"]) {
      const r = await say(text);
      const seconds = r.samples.length / r.sampleRate;
      expect(seconds, text).toBeGreaterThan(0.5);
      expect(seconds, text).toBeLessThan(8);
    }
  });

  it("returns empty audio for empty text and rejects text over the cap", async () => {
    const empty = await say(" \u0000 \n ");
    expect(empty.samples.length).toBe(0);
    expect(empty.sampleRate).toBe(22050);
    await expect(say("a".repeat(5001))).rejects.toThrow(TextTooLongError);
    await expect(
      new LocalSpeechSynthesizer({ maxChars: 10 }).synthesize({
        text: "eleven char",
        language: "en",
        sampleRate: 8000,
      }),
    ).rejects.toThrow(TextTooLongError);
  });

  it("splits long text at sentence ends into bounded pieces", () => {
    const text = `${"One two three. ".repeat(60)}${"word ".repeat(200)}end.`;
    const pieces = splitText(text, 400);
    expect(pieces.every((p) => p.length <= 400)).toBe(true);
    expect(pieces.join(" ").replace(/\s+/g, " ")).toBe(text.replace(/\s+/g, " ").trim());
    expect(pieces[0]!.endsWith(".")).toBe(true);
    expect(splitText("short", 400)).toEqual(["short"]);
  });

  it("synthesizes the longest accepted text, in order, as one clip", async () => {
    const sentence = "Your payment of forty dollars was received on Monday. ";
    const text = sentence.repeat(Math.floor(5000 / sentence.length));
    const r = await say(text);
    const single = await say(sentence);
    const ratio = r.samples.length / single.samples.length;
    expect(ratio).toBeGreaterThan(0.8 * Math.floor(5000 / sentence.length));
    expect(ratio).toBeLessThan(1.2 * Math.floor(5000 / sentence.length));
  });

  it("honours an aborted signal and keeps working afterwards", async () => {
    const controller = new AbortController();
    controller.abort(new Error("caller hung up"));
    await expect(
      tts.synthesize({ text: BALANCE, language: "en-US", sampleRate: 8000 }, controller.signal),
    ).rejects.toThrow("caller hung up");
    expect((await say(BALANCE)).samples.length).toBeGreaterThan(22050);
  });

  it("shares one engine per isolate, also between concurrent first calls", async () => {
    const before = getEspeakEngine();
    expect(getEspeakEngine()).toBe(before);
    await before;
    discardEspeakEngine(before); // as after an engine fault: the next call builds a fresh engine
    const first = getEspeakEngine();
    const second = getEspeakEngine();
    expect(first).not.toBe(before);
    expect(second).toBe(first);
    const results = await Promise.all(
      ["one", "two", "three"].map((n) =>
        new LocalSpeechSynthesizer().synthesize({ text: n, language: "en", sampleRate: 8000 }),
      ),
    );
    for (const r of results) expect(r.samples.length).toBeGreaterThan(2205);
    expect(getEspeakEngine()).toBe(first);
  });

  it("retries initialisation after a failed one", async () => {
    discardEspeakEngine(getEspeakEngine());
    const spy = vi.spyOn(EspeakEngine, "create").mockRejectedValueOnce(new Error("out of memory"));
    try {
      await expect(say(BALANCE)).rejects.toThrow("out of memory");
      expect((await say(BALANCE)).samples.length).toBeGreaterThan(22050);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it("bundles only the English eSpeak data", () => {
    const { manifest } = readDataPack(englishData);
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["phontab", "phonindex", "phondata", "intonations", "en_dict"]));
    expect(paths.filter((p) => p.endsWith("_dict"))).toEqual(["en_dict"]);
    expect(englishData.byteLength).toBeLessThan(1_500_000);
  });

  it("has a stand-in for builds that alias the engine out, which always fails over", async () => {
    const stub = new DisabledSynthesizer();
    expect([stub.name, stub.region]).toEqual(["local", "edge"]);
    await expect(stub.synthesize({ text: BALANCE, language: "en-US", sampleRate: 8000 })).rejects.toThrow(
      /not included/,
    );
  });
});
