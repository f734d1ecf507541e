import type { z } from "zod";
import { pcm16ToSamples } from "../audio/pcm";
import { sniffContainer } from "../audio/sniff";
import { ProviderError } from "./errors";
import type { TtsResult } from "./types";

/**
 * Checks on a provider's 2xx answer before we use it. A shape or payload that is not the
 * documented one is an invalid_response. Messages name the mismatch and never echo the body,
 * which can hold the caller's words.
 */
export function parseAnswer<S extends z.ZodType>(
  provider: string,
  schema: S,
  value: unknown,
  /** What answered, when the provider serves several models: "@cf/openai/whisper answer ...". */
  answeredBy?: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  const answer = answeredBy ? `${answeredBy} answer` : "answer";
  throw new ProviderError(provider, "invalid_response", `${answer} does not have the documented shape (${where})`);
}

/** A 2xx synthesis must carry audio of the kind we asked for: non-empty, not an error document, the right container. */
export function checkSpeechBytes(
  provider: string,
  bytes: Uint8Array,
  contentType: string | null,
  expected: "pcm" | "mp3" | "ogg",
): void {
  const fail = (why: string) =>
    new ProviderError(provider, "invalid_response", `200 answer is not ${expected} audio: ${why}`);
  if (bytes.length === 0) throw fail("the body is empty");
  if (contentType && /^(text\/|application\/(json|xml|problem))/i.test(contentType))
    throw fail(`Content-Type is ${contentType.slice(0, 60)}`);
  if (expected === "pcm") {
    if (bytes.length % 2 !== 0) throw fail(`${bytes.length} bytes is not a whole number of 16-bit samples`);
    return;
  }
  const sniffed = sniffContainer(bytes);
  if (sniffed !== expected) throw fail(`the bytes look like ${sniffed}`);
}

/** What a synthesis asked a provider for: raw 16-bit PCM at a rate, or a container. */
export type SpeechOutput =
  { kind: "pcm"; sampleRate: number } | { kind: "encoded"; format: "mp3" | "ogg"; mediaType: string };

/**
 * A 2xx synthesis answer of a provider that sends the audio as the body (Azure, Deepgram):
 * checked as checkSpeechBytes does, then raw little-endian PCM16 as samples, or the container as it came.
 */
export async function speechFromAnswer(provider: string, res: Response, output: SpeechOutput): Promise<TtsResult> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  checkSpeechBytes(provider, bytes, res.headers.get("Content-Type"), output.kind === "encoded" ? output.format : "pcm");
  if (output.kind === "encoded") return { kind: "encoded", format: output.format, mediaType: output.mediaType, bytes };
  return { kind: "pcm", samples: pcm16ToSamples(bytes, true), sampleRate: output.sampleRate };
}
