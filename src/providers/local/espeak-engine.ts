// SPDX-License-Identifier: GPL-3.0-or-later
/**
 * The embedded eSpeak NG engine: the vendored Emscripten build (plain JavaScript from wasm2js, so
 * workerd never has to compile WebAssembly at run time) plus the English subset of espeak-ng-data,
 * bundled as a binary module and written into Emscripten's in-memory filesystem before eSpeak
 * initialises. Nothing is fetched and no Node API is used.
 *
 * One engine per isolate, created on first use. It keeps no per-request state between calls (the
 * voice and rate are set on every call) and a call runs synchronously to completion, so requests
 * in the same isolate cannot interleave inside it.
 *
 * Regenerate ./vendor with `node src/providers/local/tools/build-espeak-vendor.mjs`.
 */
import { concatSamples } from "../../lib/bytes";
import createEspeakModule, { type ESpeakNGWorker, type EspeakModule } from "./vendor/espeak-ng.js";
import englishData from "./vendor/espeak-ng-en.bin";

export const ESPEAK_RATE_MIN = 80;
export const ESPEAK_RATE_MAX = 450;
export const ESPEAK_RATE_DEFAULT = 175;

interface PackEntry {
  path: string;
  offset: number;
  length: number;
}

interface PackManifest {
  source: string;
  root: string;
  files: PackEntry[];
}

/** Reads the data pack written by the vendor script: "ESNGPACK", u32 LE length, JSON, payload. */
export function readDataPack(pack: ArrayBuffer): { manifest: PackManifest; file(entry: PackEntry): Uint8Array } {
  const bytes = new Uint8Array(pack);
  const magic = new TextDecoder("ascii").decode(bytes.subarray(0, 8));
  if (magic !== "ESNGPACK" || bytes.length < 12) throw new Error("espeak-ng data pack: bad header");
  const manifestLength = new DataView(pack, 8, 4).getUint32(0, true);
  const payloadStart = 12 + manifestLength;
  const manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(12, payloadStart))) as PackManifest;
  return {
    manifest,
    file(entry) {
      const start = payloadStart + entry.offset;
      if (start + entry.length > bytes.length) throw new Error(`espeak-ng data pack: ${entry.path} is truncated`);
      return bytes.subarray(start, start + entry.length);
    },
  };
}

export class EspeakEngine {
  private currentVoice: string | undefined;

  private constructor(
    private readonly worker: ESpeakNGWorker,
    /** Voice variant names available under voices/!v (e.g. "f3", "m1", "whisper"). */
    readonly variants: ReadonlySet<string>,
  ) {}

  static async create(): Promise<EspeakEngine> {
    const pack = readDataPack(englishData);
    const module: EspeakModule = await createEspeakModule({
      // Only used to name the (non-existent) .wasm file; the wasm2js build never loads it.
      locateFile: (path) => path,
      print: () => {},
      printErr: (text) => console.warn(`[espeak-ng] ${text}`),
    });
    const root = pack.manifest.root;
    const dirs = new Set<string>();
    for (const entry of pack.manifest.files) {
      const path = `${root}/${entry.path}`;
      const dir = path.slice(0, path.lastIndexOf("/"));
      if (!dirs.has(dir)) {
        module.FS.mkdirTree(dir);
        dirs.add(dir);
      }
      // The pack is read-only and eSpeak copies what it reads, so MEMFS can share its bytes.
      module.FS.writeFile(path, pack.file(entry), { canOwn: true });
    }
    // The first worker runs espeak_Initialize over the files written above.
    const worker = new module.eSpeakNGWorker();
    if (worker.samplerate <= 0) throw new Error(`espeak-ng failed to initialise (${worker.samplerate})`);
    const variants = new Set(
      pack.manifest.files.filter((f) => f.path.startsWith("voices/!v/")).map((f) => f.path.slice("voices/!v/".length)),
    );
    return new EspeakEngine(worker, variants);
  }

  get sampleRate(): number {
    return this.worker.samplerate;
  }

  /**
   * Synthesizes one piece of text with an eSpeak voice name (e.g. "gmw/en-US+f3") at `rate`
   * words per minute. `shouldStop` is polled between audio blocks; returning true ends early.
   */
  synthesize(text: string, voice: string, rate: number, shouldStop: () => boolean = () => false): Int16Array {
    if (voice !== this.currentVoice) {
      const rc = this.worker.set_voice(voice);
      if (rc !== 0) {
        this.currentVoice = undefined;
        throw new Error(`espeak-ng has no voice '${voice}' (error ${rc})`);
      }
      this.currentVoice = voice;
    }
    this.worker.rate = Math.round(Math.min(ESPEAK_RATE_MAX, Math.max(ESPEAK_RATE_MIN, rate)));
    const blocks: Int16Array[] = [];
    this.worker.synthesize(text, (samples) => {
      if (samples.length > 0) blocks.push(samples);
      return shouldStop();
    });
    return concatSamples(blocks);
  }
}

let shared: Promise<EspeakEngine> | null = null;

/** The isolate's engine, initialised once; a failed initialisation is retried by the next call. */
export function getEspeakEngine(): Promise<EspeakEngine> {
  if (!shared) {
    const pending = EspeakEngine.create();
    shared = pending;
    pending.catch(() => {
      if (shared === pending) shared = null;
    });
  }
  return shared;
}

/** Drops the cached engine (after an engine fault) so the next call starts a fresh one. */
export function discardEspeakEngine(engine: Promise<EspeakEngine>): void {
  if (shared === engine) shared = null;
}
