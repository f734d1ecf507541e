/**
 * Deepgram streaming recognition over a WebSocket: Nova on /v1/listen
 * (https://developers.deepgram.com/reference/speech-to-text/listen-streaming) or Flux on /v2/listen
 * (https://developers.deepgram.com/reference/speech-to-text/listen-flux), picked by the model name.
 * Authorization is the same `Token KEY` header as the REST API; Workers open the socket with a
 * fetch carrying `Upgrade: websocket` to the https URL.
 */
import { refusedRequest } from "../errors";
import { requestSecrets } from "../secrets";
import { openSocketStream, type SocketOpener, type SttProtocol } from "../stt-socket";
import type { SttStream, SttStreamEvent, SttStreamOptions, StreamingSpeechToText } from "../streaming";
import { describeDeepgramError } from "./errors";
import { deepgramLanguage } from "./language";
import { authHeaders, DEEPGRAM_PROVIDER, type DeepgramEngineOptions, type DeepgramSettings } from "./settings";
import { fluxProtocol, novaProtocol } from "./stt-stream-messages";

/** The rate the socket is opened with: Flux and Nova both document 16 kHz linear16 as their best input. */
export const STREAM_RATE = 16000;
/** Endpointing: 300 ms of silence ends a stretch with speech_final (Deepgram's default, 10 ms, splits words). */
export const ENDPOINTING_MS = 300;
/** UtteranceEnd after this long without a word: the turn's end when background noise hides the pause. */
export const UTTERANCE_END_MS = 1000;

export const isFluxModel = (model: string) => model.startsWith("flux-");

/** The query of a Nova stream; Workers AI's nova-3 takes the same parameters as its inputs. */
export function novaQuery(model: string | undefined, language: string): [string, string][] {
  const head: [string, string][] = model ? [["model", model]] : [];
  return [
    ...head,
    ["encoding", "linear16"],
    ["sample_rate", String(STREAM_RATE)],
    ["language", deepgramLanguage(language)],
    ["interim_results", "true"],
    ["endpointing", String(ENDPOINTING_MS)],
    ["utterance_end_ms", String(UTTERANCE_END_MS)],
    ["vad_events", "true"],
    ["smart_format", "true"],
  ];
}

/** The query of a Flux stream: thresholds only when configured (the eager one turns the eager events on). */
export function fluxQuery(
  model: string | undefined,
  thresholds: { eotThreshold?: number | undefined; eagerEotThreshold?: number | undefined },
): [string, string][] {
  const query: [string, string][] = model ? [["model", model]] : [];
  query.push(["encoding", "linear16"], ["sample_rate", String(STREAM_RATE)]);
  if (thresholds.eotThreshold !== undefined) query.push(["eot_threshold", String(thresholds.eotThreshold)]);
  if (thresholds.eagerEotThreshold !== undefined)
    query.push(["eager_eot_threshold", String(thresholds.eagerEotThreshold)]);
  return query;
}

/** flux-general-en hears English only: another language is refused rather than transcribed as English. */
export function fluxLanguageRefusal(provider: string, model: string, language: string) {
  if (!model.endsWith("-en") || /^en(-|_|$)/i.test(language)) return undefined;
  return refusedRequest(provider, "language", `${model} transcribes English only, not '${language}'`);
}

export class DeepgramStreamingSpeechToText implements StreamingSpeechToText {
  readonly name = DEEPGRAM_PROVIDER;
  readonly region: string;
  readonly eagerEndOfTurn: boolean;
  private readonly model: string;
  private readonly connect: typeof fetch;

  constructor(
    private readonly settings: DeepgramSettings,
    options: DeepgramEngineOptions = {},
  ) {
    this.region = settings.region;
    this.model = settings.streamModel ?? settings.sttModel;
    this.eagerEndOfTurn = isFluxModel(this.model) && settings.eagerEotThreshold !== undefined;
    this.connect = options.connect ?? ((input, init) => fetch(input, init));
  }

  async open(options: SttStreamOptions, onEvent: (event: SttStreamEvent) => void): Promise<SttStream> {
    const flux = isFluxModel(this.model);
    const url = new URL(`${this.settings.baseUrl}${flux ? "/v2/listen" : "/v1/listen"}`);
    const query = flux ? fluxQuery(this.model, this.settings) : novaQuery(this.model, options.language);
    for (const [name, value] of query) url.searchParams.set(name, value);
    const headers = { Upgrade: "websocket", ...authHeaders(this.settings) };
    const refusal = flux ? fluxLanguageRefusal(DEEPGRAM_PROVIDER, this.model, options.language) : undefined;
    const open: SocketOpener = refusal
      ? () => Promise.reject(refusal)
      : (signal) => this.connect(url.toString(), { headers, signal });
    const protocol: SttProtocol = flux ? fluxProtocol(DEEPGRAM_PROVIDER) : novaProtocol(DEEPGRAM_PROVIDER);
    return openSocketStream(
      {
        provider: DEEPGRAM_PROVIDER,
        protocol,
        open,
        url: url.toString(),
        secrets: requestSecrets(url.toString(), headers),
        socketRate: STREAM_RATE,
        timeoutMs: this.settings.timeoutMs,
        // A refused upgrade carries Deepgram's usual JSON error body, or only its dg-error header.
        describeRefusal: (body, res) => describeDeepgramError(body) || (res.headers.get("dg-error") ?? ""),
        ...(refusal ? { classifyOpenError: () => refusal } : {}),
      },
      options,
      onEvent,
    );
  }
}
