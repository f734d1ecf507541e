/** Shared by this folder's tests only (never imported by runtime code). */
import { workersAiSettingsSchema, type AiRunner, type WorkersAiSettings } from "./settings";

export interface RecordedRun {
  model: string;
  inputs: Record<string, unknown>;
  options: { signal?: AbortSignal } | undefined;
}

type Answer = (run: RecordedRun) => unknown;

/**
 * A stand-in for the `AI` binding: records every `run(model, inputs, options)` call and answers
 * with the scripted output (or throws what the script throws, as the binding does on errors).
 */
export function fakeAi(answer: Answer | unknown) {
  const runs: RecordedRun[] = [];
  const ai: AiRunner = {
    async run(model, inputs, options) {
      const run = { model, inputs, options };
      runs.push(run);
      return typeof answer === "function" ? (answer as Answer)(run) : answer;
    },
  };
  return { ai, runs };
}

/** A binding that never answers and ignores its signal, to prove the adapter stops waiting itself. */
export const hangingAi: AiRunner = { run: () => new Promise(() => {}) };

export const failingAi = (error: unknown): AiRunner => ({
  run: () => Promise.reject(error),
});

export function settingsWith(ai: AiRunner, env: Record<string, string> = {}): WorkersAiSettings {
  return workersAiSettingsSchema.parse({ AI: ai, ...env });
}

/** The bytes of a ReadableStream (Nova-3's audio body). */
export async function streamBytes(stream: unknown): Promise<Uint8Array> {
  if (!(stream instanceof ReadableStream)) throw new Error("expected a ReadableStream");
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const streamOf = (bytes: Uint8Array) => new Blob([new Uint8Array(bytes)]).stream();

/** Decodes base64 the way the model would. */
export const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A minimal MP3: an empty ID3v2.4 tag followed by one MPEG-1 Layer III frame header. */
export const MP3_BYTES = Uint8Array.from([
  0x49,
  0x44,
  0x33,
  4,
  0,
  0,
  0,
  0,
  0,
  0,
  0xff,
  0xfb,
  0x90,
  0x64,
  ...new Array<number>(40).fill(0),
]);
