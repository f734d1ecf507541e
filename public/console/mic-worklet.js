// AudioWorklet processor of the web console's microphone: mono float samples at the AudioContext's
// rate in, PCM16 frames (little-endian, as the call stream's `start` {format: "pcm16"} expects)
// of 20 ms at 16 kHz out, each posted to the page with its level in dBFS.
//
// Downsampling: a 4th-order Butterworth low-pass (two biquads, cut-off at 45% of the target rate)
// against aliasing, then linear interpolation at the rate ratio (48 kHz → 16 kHz, 44.1 kHz → 16 kHz,
// whatever the device runs at). Plenty for speech recognition and for keypad tones (697-1633 Hz).

const FRAME_MS = 20;

/** RBJ cookbook low-pass biquad, direct form I. */
class Biquad {
  constructor(rate, cutoff, q) {
    const w = (2 * Math.PI * cutoff) / rate;
    const alpha = Math.sin(w) / (2 * q);
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    this.b0 = (1 - cos) / 2 / a0;
    this.b1 = (1 - cos) / a0;
    this.b2 = this.b0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
    this.x1 = this.x2 = this.y1 = this.y2 = 0;
  }

  step(x) {
    const y = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

class MicCaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const targetRate = options?.processorOptions?.targetRate ?? 16000;
    // `sampleRate` is the AudioWorkletGlobalScope's: the context's rate.
    this.ratio = sampleRate / targetRate;
    // Butterworth Q values of a 4th-order filter as two sections; not needed when upsampling.
    this.filters =
      this.ratio > 1
        ? [new Biquad(sampleRate, 0.45 * targetRate, 0.5412), new Biquad(sampleRate, 0.45 * targetRate, 1.3066)]
        : [];
    this.frameLength = Math.round((targetRate * FRAME_MS) / 1000);
    this.frame = new Int16Array(this.frameLength);
    this.filled = 0;
    this.sumSquares = 0;
    // Resampler state: the previous input sample (index -1 of the next block) and the position of
    // the next output sample, in input samples relative to the start of the next block.
    this.prev = 0;
    this.next = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) return true; // no input connected (yet): keep running
    const filters = this.filters;
    const ratio = this.ratio;
    let prev = this.prev;
    let next = this.next;
    for (let n = 0; n < channel.length; n++) {
      let x = channel[n];
      if (!Number.isFinite(x)) x = 0;
      for (const f of filters) x = f.step(x);
      // Output samples fall between input n-1 (prev) and n (x).
      while (next <= n) {
        this.emit(prev + (x - prev) * (next - (n - 1)));
        next += ratio;
      }
      prev = x;
    }
    this.prev = prev;
    this.next = next - channel.length;
    return true;
  }

  emit(value) {
    const clipped = value > 1 ? 1 : value < -1 ? -1 : value;
    const sample = clipped < 0 ? Math.round(clipped * 0x8000) : Math.round(clipped * 0x7fff);
    this.frame[this.filled++] = sample;
    this.sumSquares += sample * sample;
    if (this.filled < this.frameLength) return;
    const rms = Math.sqrt(this.sumSquares / this.frameLength);
    const level = rms > 0 ? Math.max(-100, 20 * Math.log10(rms / 32768)) : -100;
    // The buffer is transferred, not copied: the old view is detached (length 0) afterwards.
    const pcm = this.frame.buffer;
    this.port.postMessage({ pcm, level }, [pcm]);
    this.frame = new Int16Array(this.frameLength);
    this.filled = 0;
    this.sumSquares = 0;
  }
}

registerProcessor("mic-capture", MicCaptureProcessor);
