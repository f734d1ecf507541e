// bench:inprocess, DSP part: the audio code every audio request runs, timed inside workerd (the
// runtime production has, not Node's V8). Figures only, nothing asserted.
// Timing: see per-call.ts.
import { it } from "vitest";
import { detectDtmf } from "../../src/audio/dtmf";
import { resample, resampleScalar } from "../../src/audio/resample";
import { parseWav } from "../../src/audio/wav";
import speech from "../../test/fixtures/audio/balance-16k.wav";
import { perCall } from "./per-call";

/** Calls run before each figure and not counted. */
const WARM = 20;

it("prints the cost of the audio code", async () => {
  const wav = parseWav(new Uint8Array(speech));
  const samples16k = new Int16Array(wav.data.buffer, wav.data.byteOffset, wav.data.byteLength / 2);
  const seconds = samples16k.length / 16000;
  // The fixture at the rates replies arrive in: OpenAI's 24 kHz, the embedded engine's 22.05 kHz.
  const at24k = resampleScalar(samples16k, 16000, 24000);
  const at22k = resampleScalar(samples16k, 16000, 22050);
  const rows: [string, number][] = [
    [
      "resample 24 kHz -> 16 kHz (an OpenAI reply), scalar JavaScript",
      await perCall(100, () => resampleScalar(at24k, 24000, 16000), WARM),
    ],
    [
      "resample 24 kHz -> 16 kHz, WebAssembly SIMD (what runs)",
      await perCall(100, () => resample(at24k, 24000, 16000), WARM),
    ],
    [
      "resample 22.05 kHz -> 16 kHz (the embedded engine), scalar JavaScript",
      await perCall(100, () => resampleScalar(at22k, 22050, 16000), WARM),
    ],
    [
      "resample 22.05 kHz -> 16 kHz, WebAssembly SIMD (what runs)",
      await perCall(100, () => resample(at22k, 22050, 16000), WARM),
    ],
    [
      "resample 16 kHz -> 8 kHz (a telephony leg), WebAssembly SIMD",
      await perCall(100, () => resample(samples16k, 16000, 8000), WARM),
    ],
    [
      "DTMF detection on 16 kHz speech (every audio turn and transcribe)",
      await perCall(100, () => detectDtmf(samples16k, 16000), WARM),
    ],
  ];
  console.log(
    `\n== Audio code (bench/inprocess/dsp.ts), per ` +
      `${seconds.toFixed(2)} s of audio (test/fixtures/audio/balance-16k.wav) ==`,
  );
  for (const [name, ms] of rows) console.log(`${name.padEnd(72)}${ms.toFixed(3).padStart(8)} ms`);
});
