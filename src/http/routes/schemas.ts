import { z } from "@hono/zod-openapi";
import { OUTPUT_FORMATS } from "../../call/audio-format";
import { SCOPES } from "../../security/scopes";
import { RESIDENCIES } from "../../call/residency";

/** zod schemas shared by the routes; the OpenAPI document is generated from these. */

export const CallId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "callId must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
  .openapi({ example: "call_7Hq2" });

export const CallIdParam = z.object({ callId: CallId.openapi({ param: { name: "callId", in: "path" } }) });

export const AgentId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "agentId must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
  .openapi({ example: "support" });

/** Which agent version drives a call (absent for a flow call). */
export const AgentRef = z.object({ agentId: z.string(), version: z.number().int() }).openapi("AgentRef");

/** BCP-47-shaped language tag (e.g. en-US, de-DE, fr). */
export const Language = z
  .string()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, "language must be a BCP-47 tag such as en-US")
  .openapi({ example: "en-US" });

export const JsonObject = z.record(z.string(), z.unknown());

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: "call_not_found" }),
    requestId: z.string().optional(),
  })
  .openapi("Problem");

export const problemContent = { "application/problem+json": { schema: Problem } };
/**
 * Problem responses of a route. Every authenticated route (one that can answer 401) is also
 * rate-limited per tenant (src/http/middleware/rate-limit.ts), so it documents 429 with Retry-After too.
 */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    [...new Set(statuses.includes(401) ? [...statuses, 429] : statuses)].map((s) => [
      s,
      s === 429
        ? {
            description: "Too many requests for this tenant (rate_limited); retry after Retry-After seconds",
            headers: { "Retry-After": { schema: { type: "integer" as const } } },
            content: problemContent,
          }
        : { description: "Problem details (RFC 9457)", content: problemContent },
    ]),
  );

export const binaryBody = { schema: z.string().openapi({ format: "binary" }) };

/**
 * Request content of routes that take audio: a raw body per audio type, or multipart with the
 * file in field `audio` (plus extra text fields). The multipart schema is a plain OpenAPI object,
 * not zod, so no validator consumes the body: the handler reads it with a streaming size limit.
 */
export function audioBodyContent(extraFormFields: string[] = []) {
  const raw = ["audio/wav", "audio/L16", "audio/basic", "audio/ogg", "audio/webm", "audio/mpeg", "audio/flac"];
  return {
    ...Object.fromEntries(raw.map((type) => [type, binaryBody])),
    "multipart/form-data": {
      schema: {
        type: "object" as const,
        properties: {
          audio: { type: "string" as const, format: "binary" },
          ...Object.fromEntries(extraFormFields.map((f) => [f, { type: "string" as const }])),
        },
        required: ["audio"],
      },
    },
  };
}

/**
 * A query-string integer written as plain decimal digits: `0x3E80`, `1.6e4`, ` 16000` or `+16000`
 * are not numbers a client meant, and z.coerce would take them all (issue 21). The documented type
 * stays `integer`.
 */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,9})$/, "must be a whole number written in decimal digits")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .openapi({ type: "integer", minimum: min, maximum: max });
}

export const ReplyQuery = z.object({
  reply: z.enum(["audio", "text"]).optional().openapi({ description: "`text` skips speech synthesis" }),
  format: z.enum(OUTPUT_FORMATS).optional().openapi({ description: "reply audio format (default wav)" }),
  sampleRate: queryInt(8000, 24000)
    .pipe(z.union([z.literal(8000), z.literal(16000), z.literal(22050), z.literal(24000)]))
    .optional(),
});

export const AudioOut = z.object({
  format: z.enum(OUTPUT_FORMATS),
  sampleRate: z.number().int(),
  base64: z.string(),
  provider: z.string().optional(),
  region: z.string().optional(),
  cache: z.enum(["hit", "miss"]).optional(),
});

export const Intent = z.object({ name: z.string(), confidence: z.number(), slots: z.record(z.string(), z.string()) });

export const LatencyMs = z.object({
  stt: z.number(),
  nlp: z.number(),
  tts: z.number(),
  total: z.number(),
  llm: z.number().optional().openapi({ description: "An agent's turn: the model's part of `nlp`." }),
});

export const HistoryEntry = z.object({
  turnId: z.string(),
  role: z.enum(["user", "assistant"]),
  text: z.string(),
  at: z.string(),
  source: z.enum(["text", "dtmf", "speech"]).optional(),
  intent: Intent.optional(),
  latencyMs: LatencyMs.optional(),
  interrupted: z.literal(true).optional().openapi({
    description:
      "A reply the caller talked over on the live stream: `text` is what was played before the interruption.",
  }),
});

/** Data residency of a tenant or call (src/storage/residency.ts). */
export const Residency = z.enum(RESIDENCIES, { error: 'residency must be "eu" (or omitted for no restriction)' });

export const CallView = z
  .object({
    callId: z.string(),
    userId: z.string().nullable(),
    status: z.enum(["active", "ended"]),
    language: z.string(),
    flow: z.string(),
    createdAt: z.string(),
    lastActivityAt: z.string(),
    endedAt: z.string().optional(),
    endReason: z.string().optional(),
    turnCount: z.number().int(),
    context: JsonObject,
    metadata: JsonObject,
    history: z.array(HistoryEntry),
    tier: z.enum(["hot", "warm", "cold"]),
    residency: Residency.optional(),
    agent: AgentRef.optional(),
    llmTokens: z
      .object({ input: z.number().int(), output: z.number().int() })
      .optional()
      .openapi({ description: "Model tokens an agent's call has used so far (the provider's own count)." }),
    analysis: z
      .object({
        summary: z.string().optional(),
        data: JsonObject.optional(),
        success: z.boolean().optional(),
        error: z.string().optional(),
        analyzedAt: z.string(),
      })
      .optional()
      .openapi({
        description:
          "Post-call analysis of an agent call whose agent asks for `analysis` (docs/agents.md), once done; " +
          "`error` says what could not be produced.",
      }),
  })
  .openapi("Call");

export const CreateCallBody = z
  .object({
    callId: CallId.optional(),
    userId: z.string().min(1).max(128).optional(),
    language: Language.optional(),
    flow: z.string().min(1).max(64).optional().openapi({ example: "contact-center" }),
    agent: AgentId.optional().openapi({
      description: "An agent of this tenant (PUT /api/v1/agents/{agentId}) drives the call, instead of a flow",
    }),
    metadata: JsonObject.optional(),
    context: JsonObject.optional(),
    residency: Residency.optional().openapi({
      description:
        "Keep this call in the EU: its Durable Object in the EU jurisdiction, its archive in the EU " +
        "bucket, its speech in EU provider regions. Calls of an EU tenant are always EU.",
    }),
  })
  .strict()
  .openapi("CreateCall");

export const CreateCallResponse = z
  .object({
    callId: z.string(),
    status: z.literal("active"),
    createdAt: z.string(),
    expiresAt: z.string(),
    flow: z.string(),
    greeting: z.object({ text: z.string(), audio: AudioOut.optional() }).optional(),
    degraded: z.array(z.string()).optional(),
    residency: Residency.optional(),
    agent: AgentRef.optional(),
  })
  .openapi("CallCreated");

export const TurnJsonBody = z
  .union([
    z.object({ text: z.string().min(1, "text must not be empty") }).strict(),
    z
      .object({
        dtmf: z.string().regex(/^[0-9*#A-Da-d]{1,64}$/, "dtmf must be 1-64 keypad characters (0-9, *, #, A-D)"),
      })
      .strict(),
  ])
  .openapi("TurnInput", { description: "A text turn `{ text }` or a keypad turn `{ dtmf }`" });

export const TurnResponse = z
  .object({
    turnId: z.string(),
    transcript: z.object({
      text: z.string(),
      confidence: z.number(),
      source: z.enum(["text", "dtmf", "speech"]),
      provider: z.string().optional(),
      region: z.string().optional(),
    }),
    intent: Intent.optional().openapi({ description: "Absent for an agent's turn: a model, not an intent, decided." }),
    toolCalls: z
      .array(
        z.object({
          name: z.string(),
          arguments: z.unknown().openapi({ description: "What the model passed, redacted." }),
          ok: z.boolean(),
          latencyMs: z.number(),
        }),
      )
      .optional()
      .openapi({ description: "The tools an agent's model used during the turn, in order." }),
    transfer: z
      .object({
        number: z.string().optional(),
        status: z.enum(["dialled", "requested", "failed"]).openapi({
          description:
            "dialled: a Twilio call was redirected to `number`; requested: the client connects the caller " +
            "(other calls); failed: no number, or Twilio refused (the call stays up).",
        }),
      })
      .optional()
      .openapi({ description: "The agent asked to transfer the caller." }),
    reply: z.object({ text: z.string(), audio: AudioOut.optional() }),
    latencyMs: LatencyMs,
    degraded: z
      .array(z.string())
      .optional()
      .openapi({ description: "What the turn did without: `tts_unavailable`, `llm_unavailable`, `nlp_fallback`..." }),
    callStatus: z.enum(["active", "ended"]),
  })
  .openapi("TurnResult");

export const EndResponse = z
  .object({
    callId: z.string(),
    status: z.literal("ended"),
    endedAt: z.string(),
    endReason: z.string(),
    archive: z.enum(["done", "pending"]),
  })
  .openapi("CallEnded");

export const CallSummary = z.object({
  callId: z.string(),
  userId: z.string().nullable(),
  status: z.enum(["active", "ended"]),
  flow: z.string(),
  language: z.string(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  endedAt: z.string().nullable(),
  turnCount: z.number().int(),
});

export const IsoTime = z.iso.datetime({ offset: true, message: "use an ISO 8601 time such as 2026-11-25T00:00:00Z" });

export const ListCallsQuery = z.object({
  status: z.enum(["active", "ended"]).optional(),
  from: IsoTime.optional(),
  to: IsoTime.optional(),
  limit: queryInt(1, 100).default(20),
  cursor: z.string().max(256).optional(),
});

export const Scope = z.enum(SCOPES);

export const CreateKeyBody = z
  .object({
    tenantId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "tenantId must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"),
    scopes: z.array(Scope).min(1),
    name: z.string().min(1).max(100).optional(),
    residency: Residency.optional().openapi({
      description: "The tenant's data residency, fixed by its first key; later keys may repeat it or omit it.",
    }),
  })
  .strict()
  .openapi("CreateKey");

export const KeyView = z.object({
  keyId: z.string(),
  tenantId: z.string(),
  name: z.string().nullable(),
  scopes: z.array(Scope),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  residency: Residency.nullable(),
});
