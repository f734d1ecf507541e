import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { buildRecording } from "../../audio/recording";
import { replyAudioFromRef } from "../../pipeline/recording";
import type { CallView as CallViewRecord } from "../../call/records";
import { ApiError, errors, errorMessage } from "../../lib/errors";
import { getFlow } from "../../nlp/flows";
import { DEFAULT_FLOW_ID } from "../../nlp/flows";
import { tenantOf, tenantRefOf, type TenantRef } from "../middleware/auth";
import { actorOf } from "../actor";
import { randomAlphanumeric } from "../../security/crypto";
import { acquireCallSlot, releaseCallSlot } from "../middleware/rate-limit";
import { appendAudit } from "../../storage/audit";
import { deleteCallObjects, getObject, readArchive, readTranscript, transcriptExists } from "../../storage/cold-store";
import { locationHintFor, type CallerLocation } from "../../storage/location-hint";
import { callExists, deleteCallRows, listCalls, readCall } from "../../storage/warm-store";
import { archiveBucket } from "../../storage/residency";
import { forgetCallResidency, recordCallResidency } from "../../storage/residency-store";
import {
  acceptedAnswer,
  archivedCallExists,
  callStub,
  notFoundAnswer,
  onCall,
  throwEndedOrMissing,
  unwrap,
} from "./call-stub";
import { ttsChain } from "../../providers/registry";
import { callerPosition, type CallerCf } from "../../routing/order";
import { replyOptions } from "./reply-options";
import { rpcCall } from "../../observability/tracing";
import { scoped } from "./scoped";
import { log } from "../../observability/log";
import {
  binaryBody,
  CallIdParam,
  CallSummary,
  CallView,
  CreateCallBody,
  CreateCallResponse,
  EndResponse,
  JsonObject,
  ListCallsQuery,
  problemResponses,
  ReplyQuery,
} from "./schemas";

type Tier = "hot" | "warm" | "cold";

/** What a client may see of a call: internal fields (tenant, flow state, archive marks) stay inside. */
function publicView(v: CallViewRecord, tier: Tier) {
  return {
    callId: v.callId,
    userId: v.userId,
    status: v.status,
    language: v.language,
    flow: v.flow,
    createdAt: v.createdAt,
    lastActivityAt: v.lastActivityAt,
    ...(v.endedAt ? { endedAt: v.endedAt } : {}),
    ...(v.endReason ? { endReason: v.endReason } : {}),
    turnCount: v.turnCount,
    context: v.context,
    metadata: v.metadata,
    history: v.history.map((h) => ({
      turnId: h.turnId,
      role: h.role,
      text: h.text,
      at: h.at,
      ...(h.source ? { source: h.source } : {}),
      ...(h.intent ? { intent: h.intent } : {}),
      ...(h.latencyMs ? { latencyMs: h.latencyMs } : {}),
      ...(h.interrupted ? { interrupted: true as const } : {}),
    })),
    tier,
    ...(v.residency ? { residency: v.residency } : {}),
  };
}

/** Reads a call through the tiers: the live object, then D1, then the R2 archive of its residency. */
export async function readThroughTiers(
  env: Env,
  tenant: TenantRef,
  callId: string,
): Promise<{ view: CallViewRecord; tier: Tier } | null> {
  const { answer: hot, residency } = await onCall(
    env,
    tenant,
    callId,
    (call) => call.get(),
    (view) => view === null,
  );
  if (hot) return { view: hot, tier: "hot" };
  const warm = await readCall(env.DB, tenant.tenantId, callId);
  if (warm) return { view: warm, tier: "warm" };
  const cold = await readTranscript(env, archiveBucket(env, residency), tenant.tenantId, callId);
  if (cold) return { view: { ...cold.session, history: cold.history }, tier: "cold" };
  return null;
}

function byteSize(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

function encodeCursor(createdAt: string, callId: string): string {
  return btoa(JSON.stringify([createdAt, callId])).replace(/=+$/, "");
}

function decodeCursor(cursor: string): { createdAt: string; callId: string } {
  try {
    const [createdAt, callId] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof createdAt === "string" && typeof callId === "string") return { createdAt, callId };
  } catch {
    // fall through to the 400 below
  }
  throw new ApiError(
    400,
    "invalid_request",
    "The cursor is not one this API returned; pass nextCursor from the previous page unchanged.",
  );
}

const tags = ["calls"];

export function callRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Start a call",
      ...scoped("calls:write", { audit: { action: "call.create", recordedByCall: true } }),
      request: {
        query: ReplyQuery,
        body: { content: { "application/json": { schema: CreateCallBody } }, required: false },
      },
      responses: {
        201: { description: "Call started", content: { "application/json": { schema: CreateCallResponse } } },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429),
      },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const tenantId = tenant.tenantId;
      const cfg = c.var.config;
      const body = c.req.valid("json") ?? {};
      const reply = replyOptions(c.req.valid("query"), () => ttsChain(c.env, cfg));
      const metadata = body.metadata ?? {};
      const context = body.context ?? {};
      if (byteSize(metadata) > cfg.MAX_CONTEXT_BYTES || byteSize(context) > cfg.MAX_CONTEXT_BYTES) {
        throw errors.tooLarge(`metadata and context are each limited to ${cfg.MAX_CONTEXT_BYTES} bytes of JSON.`);
      }
      const flow = body.flow ?? DEFAULT_FLOW_ID;
      if (!getFlow(flow))
        throw new ApiError(
          422,
          "unknown_flow",
          `Flow '${flow}' does not exist; omit flow for the default '${DEFAULT_FLOW_ID}'.`,
        );
      const callId = body.callId ?? `call_${randomAlphanumeric(16)}`;
      const residency = tenant.residency ?? body.residency ?? null;
      const callExistsError = new ApiError(
        409,
        "call_exists",
        `A call with id '${callId}' already exists; choose another callId or omit it.`,
      );
      // An ended call may live only in D1 or R2 once its object has emptied: ids are never reused.
      // A generated id (16 random base62 characters, ~95 bits) is new: only an id the client chose needs the lookup (a
      // D1 read and an R2 HEAD, which R2 bills).
      if (body.callId !== undefined && (await archivedCallExists(c.env, tenantId, callId, residency)))
        throw callExistsError;
      // A slot among the tenant's active calls (429 rate_limited over TENANT_MAX_ACTIVE_CALLS); a call
      // that is then not created gives back the slot this request took.
      const slot = await acquireCallSlot(c.env, cfg, tenantId, callId);
      let created;
      try {
        // A call asking for a residency its tenant does not imply: its id must also be free where the
        // tenant's other calls live, and the directory must know it before the object exists.
        const ownResidency = residency !== null && tenant.residency === null;
        if (ownResidency) {
          if (
            (await callStub(c.env, tenantId, callId, null).get()) ||
            (await transcriptExists(c.env.ARCHIVE, tenantId, callId))
          )
            throw callExistsError;
          await recordCallResidency(c.env.DB, tenantId, callId, residency);
        }
        const locationHint = locationHintFor(c.req.raw.cf as CallerLocation | undefined);
        const answer = await rpcCall("create", (trace) =>
          callStub(c.env, tenantId, callId, residency, locationHint).create({
            caller: callerPosition(c.req.raw.cf as CallerCf | undefined),
            tenantId,
            callId,
            userId: body.userId ?? null,
            language: body.language ?? cfg.DEFAULT_LANGUAGE,
            flow,
            metadata,
            context,
            reply,
            residency,
            requestId: c.var.requestId,
            eventOnRequestLine: true,
            ...actorOf(c.var.principal),
            ...(trace ? { trace } : {}),
          }),
        );
        // The object refused to start the call: the directory entry must not claim the id.
        if ("error" in answer && ownResidency && answer.error.code !== "call_exists")
          await forgetCallResidency(c.env.DB, tenantId, callId);
        created = acceptedAnswer(c, answer);
      } catch (err) {
        if (slot.fresh) {
          await releaseCallSlot(c.env, tenantId, callId).catch((e: unknown) => {
            // The slot expires on its own (callRule); until then the tenant has one fewer.
            log(
              "call_slot_release_failed",
              { requestId: c.var.requestId, tenantId, callId, error: errorMessage(e) },
              "error",
            );
          });
        }
        throw err;
      }
      const expiresAt = new Date(
        Date.parse(created.session.lastActivityAt) + cfg.CALL_IDLE_TIMEOUT_SECONDS * 1000,
      ).toISOString();
      c.header("Location", `/api/v1/calls/${callId}`);
      return c.json(
        {
          callId,
          status: "active" as const,
          createdAt: created.session.createdAt,
          expiresAt,
          flow,
          greeting: created.greeting,
          ...(created.degraded ? { degraded: created.degraded } : {}),
          ...(residency ? { residency } : {}),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "List this tenant's calls, newest first",
      ...scoped("calls:read"),
      request: { query: ListCallsQuery },
      responses: {
        200: {
          description: "A page of calls",
          content: {
            "application/json": {
              schema: z.object({ calls: z.array(CallSummary), nextCursor: z.string().optional() }),
            },
          },
        },
        ...problemResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const tenantId = tenantOf(c.var.principal);
      const q = c.req.valid("query");
      const calls = await listCalls(c.env.DB, {
        tenantId,
        status: q.status,
        from: q.from,
        to: q.to,
        limit: q.limit + 1,
        after: q.cursor ? decodeCursor(q.cursor) : undefined,
      });
      const page = calls.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json(
        {
          calls: page,
          ...(calls.length > q.limit && last ? { nextCursor: encodeCursor(last.createdAt, last.callId) } : {}),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/{callId}",
      tags,
      summary: "Read a call (hot → warm → cold)",
      ...scoped("calls:read"),
      request: { params: CallIdParam },
      responses: {
        200: { description: "The call", content: { "application/json": { schema: CallView } } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { callId } = c.req.valid("param");
      const found = await readThroughTiers(c.env, tenantRefOf(c.var.principal), callId);
      await appendAudit(c.env.DB, c.var.principal, {
        action: "call.read",
        target: callId,
        result: found ? "ok" : "not_found",
        requestId: c.var.requestId,
      });
      if (!found) throw errors.callNotFound(callId);
      return c.json(publicView(found.view, found.tier), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/{callId}",
      tags,
      summary: "Merge keys into the session context",
      ...scoped("calls:write", { audit: { action: "call.update" } }),
      request: {
        params: CallIdParam,
        body: {
          content: { "application/json": { schema: z.object({ context: JsonObject }).strict() } },
          required: true,
        },
      },
      responses: {
        200: { description: "The updated call", content: { "application/json": { schema: CallView } } },
        ...problemResponses(400, 401, 403, 404, 409, 413),
      },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const { callId } = c.req.valid("param");
      const { context } = c.req.valid("json");
      if (byteSize(context) > c.var.config.MAX_CONTEXT_BYTES) {
        throw errors.tooLarge(`context is limited to ${c.var.config.MAX_CONTEXT_BYTES} bytes of JSON.`);
      }
      const { answer, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) => call.patchContext(context),
        notFoundAnswer,
      );
      if (notFoundAnswer(answer)) await throwEndedOrMissing(c.env, tenant.tenantId, callId, residency);
      return c.json(publicView(unwrap(answer), "hot"), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/{callId}/end",
      tags,
      summary: "End a call and archive it",
      ...scoped("calls:write", { audit: { action: "call.end", recordedByCall: true } }),
      request: { params: CallIdParam },
      responses: {
        200: { description: "Ended", content: { "application/json": { schema: EndResponse } } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const { callId } = c.req.valid("param");
      const { answer, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) =>
          rpcCall("end", (trace) =>
            call.end("client", {
              requestId: c.var.requestId,
              eventOnRequestLine: true,
              ...actorOf(c.var.principal),
              ...(trace ? { trace } : {}),
            }),
          ),
        notFoundAnswer,
      );
      if (notFoundAnswer(answer)) {
        // Already ended and archived: ending again is a no-op that reports the archived state.
        const warm = await readCall(c.env.DB, tenant.tenantId, callId);
        const view =
          warm ?? (await readTranscript(c.env, archiveBucket(c.env, residency), tenant.tenantId, callId))?.session;
        if (!view || !view.endedAt) throw errors.callNotFound(callId);
        return c.json(
          {
            callId,
            status: "ended" as const,
            endedAt: view.endedAt,
            endReason: view.endReason ?? "client",
            archive: "done" as const,
          },
          200,
        );
      }
      return c.json(acceptedAnswer(c, answer), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/{callId}",
      tags,
      summary: "Erase a call from every tier",
      ...scoped("admin"),
      request: { params: CallIdParam },
      responses: { 204: { description: "Erased" }, ...problemResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const tenantId = tenant.tenantId;
      const { callId } = c.req.valid("param");
      // The object first, so a pending archive cannot write the call back after we delete it.
      const { answer: hot, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) => call.erase(),
        (existed) => !existed,
      );
      // The erased object can no longer release the call's slot (a pending release went with it).
      await releaseCallSlot(c.env, tenantId, callId);
      const warm = await callExists(c.env.DB, tenantId, callId);
      await deleteCallRows(c.env.DB, tenantId, callId);
      const cold = await deleteCallObjects(archiveBucket(c.env, residency), tenantId, callId);
      // Last, so an interrupted erasure can be retried and still find where the call lived.
      await forgetCallResidency(c.env.DB, tenantId, callId);
      const existed = hot || warm || cold > 0;
      await appendAudit(c.env.DB, c.var.principal, {
        action: "call.erase",
        target: callId,
        result: existed ? "ok" : "not_found",
        requestId: c.var.requestId,
      });
      if (!existed) throw errors.callNotFound(callId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/{callId}/recording",
      tags,
      summary: "The call's audio (or one turn's) as WAV",
      ...scoped("calls:read"),
      request: {
        params: CallIdParam,
        query: z.object({
          turnId: z
            .string()
            .regex(/^turn-\d{1,6}$/, "turnId looks like turn-3")
            .optional(),
        }),
      },
      responses: {
        200: { description: "Audio", content: { "audio/wav": binaryBody } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { callId } = c.req.valid("param");
      const { turnId } = c.req.valid("query");
      const audio = await recordingAudio(c.env, tenantRefOf(c.var.principal), callId, turnId);
      await appendAudit(c.env.DB, c.var.principal, {
        action: "recording.read",
        target: turnId ? `${callId}/${turnId}` : callId,
        result: audio ? "ok" : "not_found",
        requestId: c.var.requestId,
      });
      if (!audio) {
        throw new ApiError(
          404,
          "recording_not_found",
          turnId ? `Call '${callId}' has no audio for ${turnId}.` : `Call '${callId}' has no recorded audio.`,
        );
      }
      return new Response(audio.bytes, {
        headers: {
          "Content-Type": audio.contentType,
          "Content-Disposition": `attachment; filename="${callId}${turnId ? "-" + turnId : ""}.wav"`,
          "X-Voice-Tier": audio.tier,
        },
      });
    },
  );

  return app;
}

/**
 * A call's audio from the live object, else from the R2 archive of its residency (decrypted; unreadable objects fail
 * closed).
 */
async function recordingAudio(env: Env, tenant: TenantRef, callId: string, turnId: string | undefined) {
  const tenantId = tenant.tenantId;
  const { answer: hot, residency } = await onCall(
    env,
    tenant,
    callId,
    (call) => call.audio(turnId),
    (pieces) => pieces.length === 0,
  );
  if (hot.length) return { ...piecesToResponse(hot), tier: "hot" };
  const bucket = archiveBucket(env, residency);
  const stored = await readArchive(env, bucket, tenantId, callId);
  const archive = stored?.archive;
  // Archives up to version 2 stored the whole-call recording; version 3 builds it from the bundle.
  if (!turnId && archive?.recordingKey) {
    const obj = await getObject(env, bucket, archive.recordingKey);
    return obj ? { ...obj, tier: "cold" } : null;
  }
  const listed = archive?.audio.filter((a) => !turnId || a.turnId === turnId) ?? [];
  // Version 4 archives hold the pieces in their own object (read above); versions 2 and 3 slice
  // them out of one bundle (read once); version 1 has one object each; a reply listed by
  // reference is read from the speech cache or synthesized again.
  const objects = new Map<string, Promise<{ bytes: Uint8Array } | null>>();
  const pieces = [];
  for (const a of listed) {
    let bytes: Uint8Array | null;
    if ("ref" in a) {
      bytes = await replyAudioFromRef(env, { tenantId, callId, residency }, a.ref, a);
    } else if ("inline" in a) {
      bytes = stored?.audio.subarray(a.offset, a.offset + a.bytes) ?? null;
    } else {
      if (!objects.has(a.key)) objects.set(a.key, getObject(env, bucket, a.key));
      const obj = await objects.get(a.key);
      bytes = !obj ? null : a.offset === undefined ? obj.bytes : obj.bytes.subarray(a.offset, a.offset + a.bytes);
    }
    if (bytes) pieces.push({ format: a.format, sampleRate: a.sampleRate, mediaType: a.mediaType, bytes });
  }
  return pieces.length ? { ...piecesToResponse(pieces), tier: "cold" } : null;
}

function piecesToResponse(pieces: { format: string; sampleRate: number; mediaType: string; bytes: Uint8Array }[]) {
  // A compressed caller recording (Ogg, MP3...) of a single turn is returned as it came in.
  const first = pieces[0];
  if (pieces.length === 1 && first && !["wav", "pcm", "mulaw"].includes(first.format)) {
    return { bytes: first.bytes, contentType: first.mediaType };
  }
  return { bytes: buildRecording(pieces).wav, contentType: "audio/wav" };
}
