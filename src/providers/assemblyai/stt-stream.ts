/**
 * AssemblyAI Universal-Streaming (v3) over a WebSocket: GET /v3/ws?sample_rate&encoding&speech_model
 * &format_turns with `Authorization: KEY`, binary PCM frames of 50-1000 ms each, `{"type":"Terminate"}`
 * to finish (https://www.assemblyai.com/docs/streaming/message-sequence).
 *
 * The server sends `Begin`, then `Turn` messages: `transcript` holds the turn's finalized words,
 * `words` all of them (`word_is_final` false for the one still forming), `end_of_turn` marks the end
 * of the turn. With format_turns=true an ended turn comes twice, unformatted and then formatted
 * (`turn_is_formatted`); the formatted one is the turn's text. `SpeechStarted` announces speech; after
 * Terminate the in-flight turns, `Termination`, and a 1000 close.
 */
import { z } from "zod";
import { ProviderError, refusedRequest } from "../errors";
import { requestSecrets } from "../secrets";
import { openSocketStream, type SttProtocol } from "../stt-socket";
import type { SttStream, SttStreamEvent, SttStreamOptions, StreamingSpeechToText } from "../streaming";
import type { SttWord } from "../types";
import { assemblyAiError } from "./errors";
import { ASSEMBLYAI_PROVIDER, type AssemblyAiSettings } from "./settings";

export const STREAM_RATE = 16000;
/** "Audio chunk size less than 50ms or greater than 1000ms" closes the session (3007). */
const MIN_FRAME = (STREAM_RATE * 50) / 1000;
const MAX_FRAME = STREAM_RATE;

/** The languages of each documented streaming model; another model's are not checked here. */
const MODEL_LANGUAGES: Record<string, readonly string[]> = {
  "universal-streaming-english": ["en"],
  "universal-streaming-multilingual": ["en", "es", "fr", "de", "it", "pt"],
};

const word = z.object({
  text: z.string(),
  start: z.number(),
  end: z.number(),
  confidence: z.number(),
  word_is_final: z.boolean().optional(),
});

const frameSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("Begin") }),
  z.object({ type: z.literal("SpeechStarted") }),
  z.object({
    type: z.literal("Turn"),
    transcript: z.string(),
    end_of_turn: z.boolean(),
    turn_is_formatted: z.boolean().default(false),
    words: z.array(word).default([]),
  }),
  z.object({ type: z.literal("Termination") }),
  z.object({ type: z.literal("Error"), error_code: z.number().int().optional(), error: z.string().optional() }),
]);

export interface AssemblyAiEngineOptions {
  /** Opens the socket (a fetch with `Upgrade: websocket`); injected in tests. */
  connect?: typeof fetch;
}

export class AssemblyAiStreamingSpeechToText implements StreamingSpeechToText {
  readonly name = ASSEMBLYAI_PROVIDER;
  readonly region: string;
  /** Universal-Streaming has no eager end of turn. */
  readonly eagerEndOfTurn = false;
  private readonly connect: typeof fetch;

  constructor(
    private readonly settings: AssemblyAiSettings,
    options: AssemblyAiEngineOptions = {},
  ) {
    this.region = settings.region;
    this.connect = options.connect ?? ((input, init) => fetch(input, init));
  }

  async open(options: SttStreamOptions, onEvent: (event: SttStreamEvent) => void): Promise<SttStream> {
    const url = new URL(`${this.settings.baseUrl}/v3/ws`);
    url.searchParams.set("sample_rate", String(STREAM_RATE));
    url.searchParams.set("encoding", "pcm_s16le");
    url.searchParams.set("speech_model", this.settings.streamModel);
    url.searchParams.set("format_turns", "true");
    const headers = { Upgrade: "websocket", Authorization: this.settings.key };
    const refusal = this.languageRefusal(options.language);
    return openSocketStream(
      {
        provider: ASSEMBLYAI_PROVIDER,
        protocol: assemblyAiProtocol(),
        open: refusal ? () => Promise.reject(refusal) : (signal) => this.connect(url.toString(), { headers, signal }),
        url: url.toString(),
        secrets: requestSecrets(url.toString(), headers),
        socketRate: STREAM_RATE,
        timeoutMs: this.settings.timeoutMs,
        describeRefusal: describeRefusalBody,
        ...(refusal ? { classifyOpenError: () => refusal } : {}),
      },
      options,
      onEvent,
    );
  }

  private languageRefusal(language: string): ProviderError | undefined {
    const known = MODEL_LANGUAGES[this.settings.streamModel];
    const base = language.trim().toLowerCase().split(/[-_]/)[0] ?? "";
    if (!known || known.includes(base)) return undefined;
    return refusedRequest(
      ASSEMBLYAI_PROVIDER,
      "language",
      `${this.settings.streamModel} transcribes ${known.join(", ")}; not '${language}'`,
    );
  }
}

/** The turn state of one session: a turn's text until its formatted end arrives. */
export function assemblyAiProtocol(): SttProtocol {
  let open: { text: string; confidence: number; words: SttWord[] } | null = null;
  const endOfTurn = (): SttStreamEvent[] => {
    const turn = open;
    open = null;
    if (!turn?.text) return [];
    return [
      {
        type: "end_of_turn",
        text: turn.text,
        confidence: turn.confidence,
        ...(turn.words.length ? { words: turn.words } : {}),
      },
    ];
  };
  return {
    read(raw) {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return [{ type: "error", error: invalid("a frame that is not JSON") }];
      }
      const parsed = frameSchema.safeParse(json);
      if (!parsed.success) {
        const known = parsed.error.issues.some((i) => i.code !== "invalid_union");
        const type = String((json as { type?: unknown } | null)?.type);
        return known ? [{ type: "error", error: invalid(`a ${type} frame out of its documented shape`) }] : [];
      }
      const frame = parsed.data;
      switch (frame.type) {
        case "Begin":
        case "Termination":
          return [];
        case "SpeechStarted":
          return [{ type: "speech_started" }];
        case "Error":
          return [{ type: "error", error: assemblyAiError(frame.error_code ?? 3005, frame.error ?? "") }];
        case "Turn": {
          const words = frame.words.map((w): SttWord => ({
            word: w.text,
            startMs: w.start,
            endMs: w.end,
            confidence: w.confidence,
          }));
          const confidence = words.length ? words.reduce((a, w) => a + w.confidence, 0) / words.length : 0;
          const text = frame.transcript.trim();
          if (frame.end_of_turn && frame.turn_is_formatted) {
            open = { text, confidence, words };
            return endOfTurn();
          }
          // The words still forming follow the finalized transcript: the fullest hypothesis so far.
          const heard =
            frame.words
              .map((w) => w.text)
              .join(" ")
              .trim() || text;
          open = { text: heard, confidence, words };
          // An unformatted end of turn is already the interim's text; its formatted twin ends the turn.
          return heard && !frame.end_of_turn ? [{ type: "interim", text: heard }] : [];
        }
      }
    },
    flush: endOfTurn,
    finishFrames: [JSON.stringify({ type: "Terminate" })],
    frame: { min: MIN_FRAME, max: MAX_FRAME },
    closeError: (code, reason) => assemblyAiError(code, reason),
  };
}

const invalid = (message: string) => new ProviderError(ASSEMBLYAI_PROVIDER, "invalid_response", message);

/** A refused upgrade's body: AssemblyAI answers JSON {"error": "..."} on its HTTP API; anything else as it is. */
function describeRefusalBody(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown };
    if (typeof json.error === "string") return json.error;
  } catch {
    // not JSON
  }
  return body.trim();
}
