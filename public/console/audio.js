// The console's audio: the microphone (getUserMedia → AudioWorklet → 20 ms PCM16 frames at 16 kHz)
// and the reply player (PCM16 from the call stream, and WAV greetings, scheduled on Web Audio).

/** Rate of the audio the console streams in both directions (the call stream's `start`). */
export const STREAM_RATE = 16000;

/** One AudioContext for the page, made (or resumed) from a user gesture so it may play. */
let sharedContext;
export function audioContext() {
  sharedContext ??= new AudioContext({ latencyHint: "interactive" });
  if (sharedContext.state === "suspended") sharedContext.resume().catch(() => undefined);
  return sharedContext;
}

/**
 * The microphone. `onFrame(pcm, level)` gets every 20 ms frame (an ArrayBuffer of 640 bytes,
 * pcm16 at 16 kHz) and its level in dBFS, whether or not anyone is talking: the caller decides
 * what to send.
 */
export class Microphone {
  constructor(context, { onFrame, echoCancellation = true }) {
    this.context = context;
    this.onFrame = onFrame;
    this.echoCancellation = echoCancellation;
    this.media = undefined;
    this.source = undefined;
    this.node = undefined;
    this.sink = undefined;
  }

  async start() {
    if (this.media) return;
    if (!navigator.mediaDevices?.getUserMedia)
      throw new Error("this page has no microphone access (browsers allow it on https and localhost pages only)");
    // Noise suppression and gain control are off: they smear keypad tones and the server's VAD
    // sets its own threshold. Echo cancellation keeps the agent's voice out of the microphone.
    const media = await navigator.mediaDevices.getUserMedia({
      audio: {
        channelCount: 1,
        echoCancellation: this.echoCancellation,
        noiseSuppression: false,
        autoGainControl: false,
      },
    });
    try {
      await this.context.audioWorklet.addModule(new URL("./mic-worklet.js", import.meta.url));
      const node = new AudioWorkletNode(this.context, "mic-capture", {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        channelCount: 1,
        channelCountMode: "explicit",
        processorOptions: { targetRate: STREAM_RATE },
      });
      node.port.onmessage = (event) => this.onFrame(event.data.pcm, event.data.level);
      // The worklet outputs silence; a muted path to the destination keeps the graph pulling it.
      const sink = new GainNode(this.context, { gain: 0 });
      const source = new MediaStreamAudioSourceNode(this.context, { mediaStream: media });
      source.connect(node).connect(sink).connect(this.context.destination);
      Object.assign(this, { media, source, node, sink });
    } catch (err) {
      for (const track of media.getTracks()) track.stop();
      throw err;
    }
  }

  get active() {
    return this.media !== undefined;
  }

  stop() {
    this.source?.disconnect();
    this.node?.disconnect();
    this.sink?.disconnect();
    if (this.node) this.node.port.onmessage = null;
    for (const track of this.media?.getTracks() ?? []) track.stop();
    this.media = this.source = this.node = this.sink = undefined;
  }
}

/** Little-endian PCM16 bytes → float samples. */
function pcm16ToFloat(buffer) {
  const view = new DataView(buffer);
  const out = new Float32Array(buffer.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

/** Reply frames are gathered this long before they are scheduled: fewer, longer buffers play without seams. */
const GATHER_MS = 40;
/** Start this far ahead of the context's clock, so the first buffer is not clipped. */
const LEAD_S = 0.05;

/**
 * Plays reply audio as it arrives: PCM16 frames at `rate` (the stream's), or whole WAV files
 * (the greeting), one after another. Keeps count, per label (a turn id, or "greeting"), of the
 * bytes received and the milliseconds that played to the end; `onChange(state)` reports them.
 * stop() cuts everything (barge-in).
 */
export class ReplyPlayer {
  constructor(context, { rate = STREAM_RATE, onChange = () => undefined } = {}) {
    this.context = context;
    this.rate = rate;
    this.onChange = onChange;
    this.sources = new Set();
    this.nextStart = 0;
    this.pending = [];
    this.pendingLabel = undefined;
    this.timer = undefined;
    this.stats = new Map(); // label → { receivedBytes, scheduledMs, playedMs, done }
  }

  statsFor(label) {
    let s = this.stats.get(label);
    if (!s) this.stats.set(label, (s = { receivedBytes: 0, scheduledMs: 0, playedMs: 0, done: false }));
    return s;
  }

  /** One frame of stream audio (ArrayBuffer, pcm16 LE at `rate`) belonging to `label`. */
  enqueuePcm(label, buffer) {
    if (this.pendingLabel !== undefined && this.pendingLabel !== label) this.flush();
    this.pendingLabel = label;
    this.pending.push(buffer);
    this.statsFor(label).receivedBytes += buffer.byteLength;
    const pendingBytes = this.pending.reduce((n, b) => n + b.byteLength, 0);
    if (pendingBytes >= this.rate)
      this.flush(); // half a second gathered: play it now
    else this.timer ??= setTimeout(() => this.flush(), GATHER_MS);
  }

  /** No more audio for `label` (reply_done): what is gathered plays now. */
  finish(label) {
    if (this.pendingLabel === label) this.flush();
    this.statsFor(label).done = true;
    this.report(label);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const bytes = new Uint8Array(this.pending.reduce((n, b) => n + b.byteLength, 0));
    let offset = 0;
    for (const b of this.pending) {
      bytes.set(new Uint8Array(b), offset);
      offset += b.byteLength;
    }
    const samples = pcm16ToFloat(bytes.buffer);
    const label = this.pendingLabel;
    this.pending = [];
    this.pendingLabel = undefined;
    if (!samples.length) return;
    const buffer = this.context.createBuffer(1, samples.length, this.rate);
    buffer.copyToChannel(samples, 0);
    this.schedule(label, buffer);
  }

  /** A whole WAV (or any format the browser decodes) for `label`. */
  async playFile(label, bytes) {
    const s = this.statsFor(label);
    s.receivedBytes += bytes.byteLength;
    const buffer = await this.context.decodeAudioData(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    this.schedule(label, buffer);
    s.done = true;
    this.report(label);
  }

  schedule(label, buffer) {
    const ctx = this.context;
    const source = new AudioBufferSourceNode(ctx, { buffer });
    source.connect(ctx.destination);
    const at = Math.max(ctx.currentTime + LEAD_S, this.nextStart);
    source.start(at);
    this.nextStart = at + buffer.duration;
    this.sources.add(source);
    const ms = buffer.duration * 1000;
    this.statsFor(label).scheduledMs += ms;
    source.onended = () => {
      this.sources.delete(source);
      this.statsFor(label).playedMs += ms;
      this.report(label);
    };
    this.report(label);
  }

  /** Whether anything is scheduled to play. */
  get playing() {
    return this.sources.size > 0 || this.pending.length > 0;
  }

  /** Stops at once and drops what is gathered (barge-in, or the call ended). */
  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.pendingLabel = undefined;
    for (const source of this.sources) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // not started yet in some engines: disconnecting is enough
      }
      source.disconnect();
    }
    this.sources.clear();
    this.nextStart = 0;
    this.onChange({ label: undefined, playing: false, stats: undefined });
  }

  report(label) {
    this.onChange({ label, playing: this.playing, stats: this.statsFor(label) });
  }
}
