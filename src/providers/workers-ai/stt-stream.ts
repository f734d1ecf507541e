/**
 * Streaming recognition through the AI binding: `env.AI.run(model, inputs, { websocket: true })`
 * answers with the upgrade's Response, whose `webSocket` speaks Deepgram's frames (the models are
 * Deepgram's Flux and Nova-3, https://developers.cloudflare.com/workers-ai/models/flux/). The
 * inputs are Deepgram's query parameters as one flat object of strings; the frames are read by the
 * Deepgram adapter's parsers.
 */
import { ProviderError } from "../errors";
import { openSocketStream, type SocketOpener } from "../stt-socket";
import type { SttStream, SttStreamEvent, SttStreamOptions, StreamingSpeechToText } from "../streaming";
import { fluxLanguageRefusal, fluxQuery, novaQuery, STREAM_RATE } from "../deepgram/stt-stream";
import { fluxProtocol, novaProtocol } from "../deepgram/stt-stream-messages";
import { classifyBindingError, PROVIDER } from "./errors";
import { DEFAULT_STREAM_STT_MODEL, type StreamSttModel } from "./models";
import { WORKERS_AI_REGION, type WorkersAiSettings } from "./settings";

/** Opens a model's socket: `ai.run(model, inputs, { websocket: true, signal })` unless a test injects another. */
export type AiSocketOpener = (model: string, inputs: Record<string, string>, signal: AbortSignal) => Promise<unknown>;

export class WorkersAiStreamingSpeechToText implements StreamingSpeechToText {
  readonly name = PROVIDER;
  readonly region = WORKERS_AI_REGION;
  readonly eagerEndOfTurn: boolean;
  private readonly model: StreamSttModel;
  private readonly connect: AiSocketOpener;

  constructor(
    private readonly settings: WorkersAiSettings,
    options: { connect?: AiSocketOpener } = {},
  ) {
    this.model = settings.sttStreamModel ?? DEFAULT_STREAM_STT_MODEL;
    this.eagerEndOfTurn = this.model === "@cf/deepgram/flux" && settings.eagerEotThreshold !== undefined;
    this.connect =
      options.connect ?? ((model, inputs, signal) => settings.ai.run(model, inputs, { websocket: true, signal }));
  }

  async open(options: SttStreamOptions, onEvent: (event: SttStreamEvent) => void): Promise<SttStream> {
    const flux = this.model === "@cf/deepgram/flux";
    // The model is the binding's first argument, not an input.
    const inputs = Object.fromEntries(
      flux ? fluxQuery(undefined, this.settings) : novaQuery(undefined, options.language),
    );
    const refusal = flux ? fluxLanguageRefusal(PROVIDER, "flux-general-en", options.language) : undefined;
    const open: SocketOpener = async (signal) => {
      if (refusal) throw refusal;
      const answer = await this.connect(this.model, inputs, signal);
      if (answer instanceof Response) return answer;
      throw new ProviderError(PROVIDER, "invalid_response", `${this.model} did not answer with a WebSocket`);
    };
    return openSocketStream(
      {
        provider: PROVIDER,
        protocol: flux ? fluxProtocol(PROVIDER) : novaProtocol(PROVIDER),
        open,
        url: this.model,
        secrets: [], // the binding carries no credential of ours
        socketRate: STREAM_RATE,
        timeoutMs: this.settings.timeoutMs,
        classifyOpenError: classifyBindingError,
      },
      options,
      onEvent,
    );
  }
}
