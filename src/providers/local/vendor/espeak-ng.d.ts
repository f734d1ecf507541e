// Types for the parts of the vendored eSpeak NG Emscripten module (espeak-ng.js) that the adapter
// uses. The module's WebIDL bindings come from Echogarden's espeakng_glue.idl / post.js.

export interface EspeakEvent {
  type: string;
  text_position: number;
  word_length: number;
  audio_position: number;
  id?: string | number;
}

export interface ESpeakNGWorker {
  /** Native output rate of eSpeak NG (22050 Hz). */
  readonly samplerate: number;
  /** Words per minute used by the next synthesize() call (80..450). */
  rate: number;
  volume: number;
  pitch: number;
  range: number;
  /** espeak_SetVoiceByName: 0 on success, an espeak_ERROR code otherwise. */
  set_voice(name: string): number;
  /**
   * Synthesizes synchronously; the callback gets each block of 16-bit mono PCM (a copy) and
   * returns true to abort synthesis.
   */
  synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => boolean | void): void;
}

export interface EmscriptenFS {
  mkdirTree(path: string): void;
  writeFile(path: string, data: Uint8Array, opts?: { canOwn?: boolean }): void;
}

export interface EspeakModule {
  FS: EmscriptenFS;
  eSpeakNGWorker: new () => ESpeakNGWorker;
}

export interface EspeakModuleOptions {
  locateFile?: (path: string, prefix: string) => string;
  print?: (text: string) => void;
  printErr?: (text: string) => void;
  preRun?: Array<(module: EspeakModule) => void>;
}

declare const createEspeakModule: (options?: EspeakModuleOptions) => Promise<EspeakModule>;
export default createEspeakModule;
