import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { OUTPUT_FORMATS } from "../../call/audio-format";
import { ApiError } from "../../lib/errors";
import { recognize } from "../../pipeline/stages/recognize";
import { synthesize, TtsRefusedError, TtsUnavailableError } from "../../pipeline/stages/synthesize";
import { pinProvider, sttChain, ttsChain } from "../../providers/registry";
import { callerPosition, type CallerCf } from "../../routing/order";

import { orderedFor } from "../../routing/resident-order";
import { ttsCacheFor } from "../../storage/speech-cache";
import { tenantRefOf } from "../middleware/auth";
import { coversCounts, redact, redactWords } from "../../security/redaction";
import { readAudioUpload } from "./audio-body";
import { replyOptions } from "./reply-options";
import { audioBodyContent, binaryBody, Language, problemResponses } from "./schemas";
import { scoped } from "./scoped";
import { recordTtsCache } from "../../observability/metric-hooks";

const tags = ["voice"];

const TranscribeResponse = z
  .object({
    text: z.string(),
    confidence: z.number(),
    source: z.enum(["speech", "dtmf"]),
    language: z.string(),
    provider: z.string(),
    region: z.string(),
    audioDurationMs: z.number().nullable(),
    latencyMs: z.number(),
    words: z
      .array(z.object({ word: z.string(), startMs: z.number(), endMs: z.number(), confidence: z.number() }))
      .optional(),
  })
  .openapi("Transcription");

const SynthesizeBody = z
  .object({
    text: z.string().min(1, "text must not be empty"),
    voice: z.string().max(64).optional(),
    provider: z.string().max(32).optional().openapi({ description: "pin one configured TTS provider" }),
    language: Language.optional(),
    format: z.enum(OUTPUT_FORMATS).optional(),
    sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(22050), z.literal(24000)]).optional(),
  })
  .strict()
  .openapi("SynthesizeRequest");

export function voiceRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/transcribe",
      tags,
      summary: "Transcribe audio (speech or keypad tones)",
      ...scoped("voice"),
      request: {
        query: z.object({ language: Language.optional(), provider: z.string().max(32).optional() }),
        body: {
          content: audioBodyContent(["language", "provider"]),
        },
      },
      responses: {
        200: { description: "Transcript", content: { "application/json": { schema: TranscribeResponse } } },
        ...problemResponses(400, 401, 403, 413, 415, 422, 503),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const upload = await readAudioUpload(c);
      const language = Language.safeParse(upload.fields.language ?? query.language ?? c.var.config.DEFAULT_LANGUAGE);
      if (!language.success) throw new ApiError(400, "invalid_request", "language must be a BCP-47 tag such as en-US.");
      const pinned = upload.fields.provider ?? query.provider;
      // A pinned provider is checked up front (a bad pin is the client's error, whatever the audio);
      // "local" pins the embedded engine. Unpinned, the chain is built only if the audio holds speech.
      const pinnedChain =
        pinned === undefined
          ? undefined
          : pinned === "local"
            ? []
            : pinProvider(sttChain(c.env, c.var.config), pinned, "speech-to-text");
      const caller = callerPosition(c.req.raw.cf as CallerCf | undefined);
      const { residency } = tenantRefOf(c.var.principal);
      const stt = () =>
        orderedFor(pinnedChain ?? sttChain(c.env, c.var.config), "speech-to-text", c.var.config, { caller, residency });
      const started = performance.now();
      const heard = await recognize({ kind: "audio", audio: upload.audio }, language.data, stt, c.req.raw.signal);
      // Card numbers, security codes next to "cvv"... and REDACT_PATTERNS are masked (see
      // src/security/redaction.ts). The words of a masked span become one entry carrying the mask;
      // if the words do not show everything the text masked, they are left out rather than leak.
      const cfg = c.var.config;
      const options = { patterns: cfg.REDACT_PATTERNS, maxPatternChars: cfg.MAX_TEXT_CHARS };
      const text = redact(heard.text, options);
      const words = heard.words ? redactWords(heard.words, options) : undefined;
      const safeWords = words && coversCounts(words.counts, text.counts) ? words.words : undefined;
      return c.json(
        {
          text: text.text,
          confidence: heard.confidence,
          source: heard.source === "dtmf" ? ("dtmf" as const) : ("speech" as const),
          language: language.data,
          provider: heard.provider ?? "local",
          region: heard.region ?? "edge",
          audioDurationMs: upload.audio.durationMs,
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
          ...(safeWords ? { words: safeWords } : {}),
        },
        200,
        { "X-Voice-Provider": heard.provider ?? "local", "X-Voice-Region": heard.region ?? "edge" },
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/synthesize",
      tags,
      summary: "Synthesize speech from text",
      ...scoped("voice"),
      request: { body: { content: { "application/json": { schema: SynthesizeBody } }, required: true } },
      responses: {
        200: {
          description: "Audio",
          content: { "audio/wav": binaryBody, "audio/basic": binaryBody, "audio/pcm": binaryBody },
        },
        ...problemResponses(400, 401, 403, 415, 422, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const cfg = c.var.config;
      if ([...body.text].length > cfg.MAX_TEXT_CHARS) {
        throw new ApiError(
          422,
          "text_too_long",
          `text is limited to ${cfg.MAX_TEXT_CHARS} characters; split it into several requests.`,
        );
      }
      const owner = tenantRefOf(c.var.principal);
      const caller = callerPosition(c.req.raw.cf as CallerCf | undefined);
      const tts = orderedFor(
        pinProvider(ttsChain(c.env, cfg), body.provider, "text-to-speech"),
        "text-to-speech",
        cfg,
        {
          caller,
          residency: owner.residency,
        },
      );
      const reply = replyOptions({ format: body.format, sampleRate: body.sampleRate }, () => tts);
      const cache = ttsCacheFor(c.env, cfg.TTS_CACHE_TTL_SECONDS, owner);
      try {
        const out = await synthesize(body.text, body.language ?? cfg.DEFAULT_LANGUAGE, reply, tts, {
          voice: body.voice,
          signal: c.req.raw.signal,
          cache,
        });
        if (cache) recordTtsCache(c.env, c.executionCtx, out.cache);
        return new Response(out.audio.bytes, {
          headers: {
            "Content-Type": out.audio.mediaType,
            "X-Voice-Provider": out.provider,
            "X-Voice-Region": out.region,
            "X-Voice-Cache": out.cache,
          },
        });
      } catch (err) {
        if (err instanceof TtsRefusedError) throw err.problem;
        if (err instanceof TtsUnavailableError) {
          throw new ApiError(
            503,
            "provider_unavailable",
            "No text-to-speech provider could synthesize this text right now; retry shortly.",
            {
              internal: err.message,
              headers: { "Retry-After": String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) },
            },
          );
        }
        throw err;
      }
    },
  );

  return app;
}
