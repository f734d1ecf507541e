import { ProviderError, refusedRequest } from "../errors";
import { providerFetch } from "../http";
import type { EncodedSpeech, PcmSpeech, TextToSpeech, TtsEncoding, TtsRequest } from "../types";
import { PROVIDER, readBody, reclassify } from "./errors";
import { authHeaders, endpointId, type OpenAiSettings } from "./settings";
import { toSpeech } from "./speech-audio";

/**
 * "The maximum length is 4096 characters" (https://platform.openai.com/docs/api-reference/audio/createSpeech, `input`).
 */
export const MAX_INPUT_CHARS = 4096;

/** Our encodings to createSpeech's response_format (mp3, opus, aac, flac, wav, pcm). */
const RESPONSE_FORMAT: Record<TtsEncoding, "pcm" | "mp3" | "opus"> = { pcm: "pcm", mp3: "mp3", ogg: "opus" };

export class OpenAiSpeechSynthesizer implements TextToSpeech {
  readonly name = PROVIDER;
  readonly region: string;
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3", "ogg"];

  constructor(
    private readonly settings: OpenAiSettings,
    private readonly options: { fetcher?: typeof fetch } = {},
  ) {
    this.region = endpointId(settings);
  }

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<PcmSpeech | EncodedSpeech> {
    const input = req.text.trim();
    if (!input) throw new ProviderError(PROVIDER, "permanent", "nothing to synthesize: the text is empty");
    if (input.length > MAX_INPUT_CHARS) {
      throw refusedRequest(
        PROVIDER,
        "text",
        `the text is ${input.length} characters; OpenAI speech takes at most ${MAX_INPUT_CHARS}`,
      );
    }
    const encoding = req.encoding ?? "pcm";
    // createSpeech's JSON body; the language is not a parameter (the voices speak the input's language).
    const body = {
      model: this.settings.ttsModel,
      input,
      voice: req.voice?.trim() || this.settings.ttsVoice,
      response_format: RESPONSE_FORMAT[encoding],
    };
    const res = await providerFetch(
      `${this.settings.baseUrl}/v1/audio/speech`,
      {
        method: "POST",
        headers: { ...authHeaders(this.settings), "Content-Type": "application/json" },
        body: JSON.stringify(body),
      },
      { provider: PROVIDER, timeoutMs: this.settings.timeoutMs, signal, fetcher: this.options.fetcher },
    ).catch(reclassify);
    const bytes = await readBody(res, async (r) => new Uint8Array(await r.arrayBuffer()), signal);
    return toSpeech(encoding, bytes, res.headers.get("Content-Type"));
  }
}
