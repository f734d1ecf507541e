import { SynthesizeSpeechCommand, type PollyClient, type SynthesizeSpeechCommandInput } from "@aws-sdk/client-polly";
import { z } from "zod";
import { pcm16ToSamples } from "../../audio/pcm";
import { ProviderError, refusedRequest } from "../errors";
import type { TextToSpeech, TtsEncoding, TtsRequest, TtsResult } from "../types";
import { createPollyClient, pollyEndpoint } from "./client";
import { toProviderError } from "./errors";
import { pollyFormat, type PollyFormat } from "./formats";
import { pollyLanguage } from "./language";
import { VOICE_ID, type PollySettings } from "./settings";
import { checkSpeechBytes } from "../validate";
import { untilAborted } from "../../lib/abortable";

export const PROVIDER = "polly";

/**
 * SynthesizeSpeech takes at most 3,000 billed characters (6,000 in all; SSML tags are not billed,
 * but we send plain text, where every character is billed).
 * https://docs.aws.amazon.com/polly/latest/dg/limits.html and TextLengthExceededException in
 * https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html
 */
export const MAX_BILLED_CHARACTERS = 3000;

/**
 * The parts of SynthesizeSpeech's answer we use: the body (AudioStream), `Content-Type`
 * (ContentType) and `x-amzn-RequestCharacters` (RequestCharacters, characters billed).
 * https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html#API_SynthesizeSpeech_ResponseSyntax
 */
const outputSchema = z.object({
  AudioStream: z.custom<{ transformToByteArray(): Promise<Uint8Array> }>(
    (v) =>
      typeof v === "object" &&
      v !== null &&
      typeof (v as { transformToByteArray?: unknown }).transformToByteArray === "function",
    { error: "no audio stream" },
  ),
  ContentType: z.string({ error: "no Content-Type" }),
  RequestCharacters: z.number().int().nonnegative().optional(),
});

export interface PollyOptions {
  /** Injected in tests; production uses the global fetch. */
  fetcher?: typeof fetch;
}

/** Amazon Polly text-to-speech through the AWS SDK (SigV4 signing, REST-JSON protocol). */
export class PollySpeechSynthesizer implements TextToSpeech {
  readonly name = PROVIDER;
  readonly region: string;
  /** pcm (16-bit LE mono at 8/16 kHz), mp3 and ogg (Vorbis): Polly's audio OutputFormats. */
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3", "ogg"];
  private readonly client: PollyClient;
  private readonly endpoint: string;

  constructor(
    private readonly settings: PollySettings,
    options: PollyOptions = {},
  ) {
    this.region = settings.POLLY_REGION;
    this.endpoint = pollyEndpoint(settings);
    this.client = createPollyClient(settings, options.fetcher);
  }

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult> {
    const format = pollyFormat(req.encoding ?? "pcm", req.sampleRate, this.settings.POLLY_ENGINE);
    const input = commandInput(this.settings, req, format);

    const timeout = AbortSignal.timeout(this.settings.POLLY_TIMEOUT_MS);
    const joined = signal ? AbortSignal.any([timeout, signal]) : timeout;
    let bytes: Uint8Array;
    let contentType: string;
    try {
      if (signal?.aborted) throw signal.reason;
      const raw = await this.client.send(new SynthesizeSpeechCommand(input), { abortSignal: joined });
      const parsed = outputSchema.safeParse(raw);
      if (!parsed.success) {
        throw new ProviderError(
          PROVIDER,
          "invalid_response",
          `answer is not audio: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
        );
      }
      contentType = parsed.data.ContentType;
      // Reading the body must obey the same deadline as the request itself.
      bytes = await untilAborted(parsed.data.AudioStream.transformToByteArray(), joined);
    } catch (err) {
      throw toProviderError(err, {
        provider: PROVIDER,
        timeoutMs: this.settings.POLLY_TIMEOUT_MS,
        timeout,
        clientSignal: signal,
        endpoint: this.endpoint,
        secrets: [this.settings.AWS_SECRET_ACCESS_KEY, this.settings.AWS_SESSION_TOKEN ?? ""],
      });
    }
    return toResult(format, contentType, bytes);
  }
}

/**
 * The SynthesizeSpeech input (batch and streamed); text and voice are checked here, before any request goes out.
 */
export function commandInput(
  settings: PollySettings,
  req: TtsRequest,
  format: PollyFormat,
): SynthesizeSpeechCommandInput {
  if (!req.text.trim()) throw new ProviderError(PROVIDER, "permanent", "nothing to synthesize: the text is empty");
  const characters = [...req.text].length;
  if (characters > MAX_BILLED_CHARACTERS) {
    throw refusedRequest(
      PROVIDER,
      "text",
      `text is ${characters} characters; Amazon Polly synthesizes at most ` +
        `${MAX_BILLED_CHARACTERS} per request, so split it into shorter parts`,
    );
  }
  const voice = req.voice ?? settings.POLLY_VOICE;
  if (!VOICE_ID.test(voice)) {
    throw refusedRequest(
      PROVIDER,
      "voice",
      `'${voice.slice(0, 40)}' is not an Amazon Polly voice id (e.g. Joanna, Matthew)`,
    );
  }
  const language = pollyLanguage(req.language);
  return {
    Text: req.text,
    // Plain text: the caller's text is never interpreted as SSML markup.
    TextType: "text",
    VoiceId: voice as SynthesizeSpeechCommandInput["VoiceId"],
    Engine: settings.POLLY_ENGINE,
    OutputFormat: format.outputFormat,
    SampleRate: String(format.sampleRate),
    ...(language ? { LanguageCode: language as SynthesizeSpeechCommandInput["LanguageCode"] } : {}),
  };
}

function toResult(format: PollyFormat, contentType: string, bytes: Uint8Array): TtsResult {
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== format.contentType) {
    throw new ProviderError(
      PROVIDER,
      "invalid_response",
      `asked for ${format.outputFormat} but the answer is ${mediaType || "untyped"}`,
    );
  }
  if (bytes.byteLength < 2) throw new ProviderError(PROVIDER, "invalid_response", "the answer holds no audio");
  if (format.outputFormat === "pcm") {
    // audio/pcm: signed 16-bit, mono, little-endian, at the SampleRate we asked for.
    return { kind: "pcm", samples: pcm16ToSamples(bytes, true), sampleRate: format.sampleRate };
  }
  // The bytes must be what the type says: an HTML error page served as audio/mpeg is not speech.
  checkSpeechBytes(PROVIDER, bytes, contentType, format.outputFormat === "mp3" ? "mp3" : "ogg");
  return format.outputFormat === "mp3"
    ? { kind: "encoded", format: "mp3", mediaType: "audio/mpeg", bytes }
    : { kind: "encoded", format: "ogg", mediaType: "audio/ogg", bytes };
}
