import { expect, vi } from "vitest";
import { samplesToPcm16 } from "../../src/audio/pcm";

/**
 * A streaming TTS provider for tests: OpenAI's /v1/audio/speech answering 24 kHz PCM in chunks, as
 * a fetch stub, each sentence as the test's plan says (at once, slowly, or dropping partway).
 */

/** 200 ms of provider audio at 24 kHz. */
export const CHUNK_SAMPLES = 4800;
/** A slow sentence: its first chunk at once, then this many more, one every 200 ms. */
export const SLOW_CHUNKS = 10;

/** How an endpoint answers a sentence. */
export type Plan =
  /** Everything at once. */
  | "fast"
  /** The first chunk at once, the rest over two seconds. */
  | "slow"
  /** The answer starts (200) but the connection drops before any audio. */
  | "drop_before_audio"
  /** The first chunk, one more 200 ms later, then the connection drops. */
  | "drop_mid_sentence";

export interface Answer {
  host: string;
  text: string;
  plan: Plan;
  /** Provider samples sent so far. */
  samples: number;
  finished: boolean;
  cancelled: boolean;
}

/** Sample i of a sentence's audio: a tone, distinct per position so repeats and gaps show. */
const toneAt = (i: number) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 24000));

function chunk(from: number): Uint8Array {
  return samplesToPcm16(
    Int16Array.from({ length: CHUNK_SAMPLES }, (_, k) => toneAt(from + k)),
    true,
  );
}

/** A stub of OpenAI's /v1/audio/speech that streams as `plan(host, text)` says. */
export function stubSpeech(plan: (host: string, text: string) => Plan): Answer[] {
  const answers: Answer[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.pathname !== "/v1/audio/speech") throw new Error(`unexpected fetch ${req.url}`);
    const body = (await req.json()) as { input: string; response_format: string };
    expect(body.response_format).toBe("pcm");
    const answer: Answer = {
      host: url.host,
      text: body.input,
      plan: plan(url.host, body.input),
      samples: 0,
      finished: false,
      cancelled: false,
    };
    answers.push(answer);
    const timers: ReturnType<typeof setTimeout>[] = [];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = () => {
          controller.enqueue(chunk(answer.samples));
          answer.samples += CHUNK_SAMPLES;
        };
        const finish = () => {
          answer.finished = true;
          controller.close();
        };
        switch (answer.plan) {
          case "drop_before_audio":
            controller.error(new TypeError("Network connection lost."));
            return;
          case "fast":
            for (let i = 0; i <= SLOW_CHUNKS; i++) send();
            finish();
            return;
          case "slow":
            send();
            for (let i = 1; i <= SLOW_CHUNKS; i++)
              timers.push(
                setTimeout(() => {
                  send();
                  if (i === SLOW_CHUNKS) finish();
                }, 200 * i),
              );
            return;
          case "drop_mid_sentence":
            send();
            timers.push(setTimeout(send, 200));
            timers.push(setTimeout(() => controller.error(new TypeError("Network connection lost.")), 300));
            return;
        }
      },
      cancel() {
        answer.cancelled = true;
        for (const t of timers) clearTimeout(t);
      },
    });
    return new Response(stream, { headers: { "Content-Type": "audio/pcm" } });
  });
  return answers;
}
