/**
 * Amazon Polly, streamed. SynthesizeSpeech answers with the audio as its HTTP body, sent while it
 * is synthesised (https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html: the
 * response's AudioStream is "Stream containing the synthesized speech"); OutputFormat "pcm" is
 * signed 16-bit little-endian mono at 8 or 16 kHz. The SDK hands the body over as an SdkStream whose
 * transformToWebStream() is the web ReadableStream of the fetch it made, read here chunk by chunk.
 */
import { SynthesizeSpeechCommand, type PollyClient } from "@aws-sdk/client-polly";
import { ProviderError } from "../errors";
import { readerSource } from "../http-stream";
import { pcmChunks } from "../pcm-stream";
import type { PcmChunk, StreamingTextToSpeech } from "../streaming";
import type { TtsRequest } from "../types";
import { createPollyClient, pollyEndpoint } from "./client";
import { toProviderError } from "./errors";
import { pollyFormat } from "./formats";
import type { PollySettings } from "./settings";
import { commandInput, PROVIDER, type PollyOptions } from "./tts";

export class PollyStreamingSynthesizer implements StreamingTextToSpeech {
  readonly name = PROVIDER;
  readonly region: string;
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

  async *stream(req: TtsRequest, signal?: AbortSignal): AsyncGenerator<PcmChunk> {
    const format = pollyFormat("pcm", req.sampleRate, this.settings.POLLY_ENGINE);
    const input = commandInput(this.settings, req, format);
    const timeoutMs = this.settings.POLLY_TIMEOUT_MS;
    // The SDK's abortSignal stays tied to the body after the headers, so it is ours alone: the
    // timeout bounds the wait for the answer only (the stream then bounds the wait per chunk).
    const upstream = new AbortController();
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timeout.abort();
      upstream.abort();
    }, timeoutMs);
    const onAbort = () => upstream.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let body: ReadableStream<Uint8Array>;
    try {
      if (signal?.aborted) throw signal.reason;
      const answer = await this.client.send(new SynthesizeSpeechCommand(input), { abortSignal: upstream.signal });
      const mediaType = (answer.ContentType ?? "").split(";")[0]!.trim().toLowerCase();
      const stream = webStream(answer.AudioStream);
      if (mediaType !== format.contentType || !stream) {
        upstream.abort();
        throw new ProviderError(
          PROVIDER,
          "invalid_response",
          stream ? `asked for pcm but the answer is ${mediaType || "untyped"}` : "answer has no audio stream",
        );
      }
      body = stream;
    } catch (err) {
      upstream.abort();
      throw toProviderError(err, {
        provider: PROVIDER,
        timeoutMs,
        timeout: timeout.signal,
        clientSignal: signal,
        endpoint: this.endpoint,
        secrets: [this.settings.AWS_SECRET_ACCESS_KEY, this.settings.AWS_SESSION_TOKEN ?? ""],
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    yield* pcmChunks(readerSource(body, upstream), {
      provider: PROVIDER,
      sampleRate: format.sampleRate,
      idleTimeoutMs: timeoutMs,
      signal,
    });
  }
}

/** The SDK's body as a web ReadableStream: transformToWebStream() on its SdkStream, or the stream itself. */
function webStream(audio: unknown): ReadableStream<Uint8Array> | undefined {
  const transform = (audio as { transformToWebStream?: () => ReadableStream<Uint8Array> } | undefined)
    ?.transformToWebStream;
  if (typeof transform === "function") return transform.call(audio);
  return audio instanceof ReadableStream ? (audio as ReadableStream<Uint8Array>) : undefined;
}
