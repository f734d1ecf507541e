import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { buildRecording } from "../../../audio/recording";
import { replyAudioFromRef } from "../../../pipeline/recording";
import { ApiError } from "../../../lib/errors";
import { tenantRefOf, type TenantRef } from "../../middleware/auth";
import { recordUse } from "../../middleware/audit";
import { recordingAuth } from "../../middleware/recording-auth";
import { getObject, readArchive } from "../../../storage/cold-store";
import { archiveBucket } from "../../../storage/residency";
import { onCall } from "../call-stub";
import { scoped } from "../scoped";
import { binaryBody, CallIdParam, problemResponses } from "../schemas";

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

/** The query of a signed link (src/events/recording-url.ts); checked by recordingAuth, documented here. */
const LinkQuery = {
  tenant: z.string().max(64).optional().openapi({ description: "Signed link only: the tenant it was made for" }),
  expires: z.string().max(16).optional().openapi({ description: "Signed link only: Unix seconds it works until" }),
  sig: z.string().max(128).optional().openapi({ description: "Signed link only: its signature" }),
};

/** GET /calls/{callId}/recording: the call's audio, from its object or its archive. */
export function recordingRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "recordingLink", {
    type: "apiKey",
    in: "query",
    name: "sig",
    description:
      "A signed link from a `recording.ready` event (with `tenant` and `expires`): opens this call's " +
      "recording for one hour, without an API key.",
  });
  const { security } = scoped("calls:read");
  app.openapi(
    createRoute({
      method: "get",
      path: "/{callId}/recording",
      tags,
      summary: "The call's audio (or one turn's) as WAV",
      description:
        "With an API key (calls:read), or with the signed link a `recording.ready` event carries " +
        "(`?tenant=&expires=&sig=`, valid for one hour; docs/events.md).",
      middleware: [recordingAuth()],
      security: [...security, { recordingLink: [] }],
      request: {
        params: CallIdParam,
        query: z.object({
          turnId: z
            .string()
            .regex(/^turn-\d{1,6}$/, "turnId looks like turn-3")
            .optional(),
          ...LinkQuery,
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
      await recordUse(c, "recording.read", turnId ? `${callId}/${turnId}` : callId, Boolean(audio));
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
}
