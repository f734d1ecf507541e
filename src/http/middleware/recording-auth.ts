import { createMiddleware } from "hono/factory";
import { verifyRecordingLink } from "../../events/recording-url";
import { ApiError } from "../../lib/errors";
import type { Principal } from "../../security/scopes";
import { tenantResidencyOf } from "../../storage/residency-store";
import type { AppEnv } from "../env";
import { requireScope } from "./auth";

/** The audit log's actor for a recording read through a signed link (it has no API key). */
export const RECORDING_LINK_ACTOR = "recording-link";
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

function linkRefused(detail: string): ApiError {
  return new ApiError(401, "unauthorized", detail, {
    headers: { "WWW-Authenticate": 'Bearer realm="voice-edge", error="invalid_token"' },
  });
}

/** Whether the request presents a signed link (`?sig=`) and no Authorization header: a Bearer key wins. */
export function usesRecordingLink(c: {
  req: { query(name: string): string | undefined; header(name: string): string | undefined };
}): boolean {
  return c.req.query("sig") !== undefined && c.req.header("Authorization") === undefined;
}

/**
 * The recording route's authentication: a Bearer key with calls:read (requireScope, as before and
 * unchanged), or a signed link from a `recording.ready` event (src/events/recording-url.ts), which
 * opens this one call's recording of the tenant it names and nothing else. A link's principal
 * holds no scope, so it can pass no other check. Link reads take no rate-limit token (there is no
 * key to charge); each is audited as `recording-link`.
 */
export function recordingAuth() {
  const bearer = requireScope({ scope: "calls:read" });
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!usesRecordingLink(c)) return bearer(c, next);
    const tenantId = c.req.query("tenant") ?? "";
    const callId = c.req.param("callId") ?? "";
    const verdict = TENANT_ID.test(tenantId)
      ? await verifyRecordingLink(
          c.env,
          { tenantId, callId, turnId: c.req.query("turnId") },
          { expires: c.req.query("expires"), sig: c.req.query("sig") },
          Date.now(),
        )
      : "invalid";
    if (verdict === "expired")
      throw linkRefused(
        "This recording link has expired (links last one hour); the next delivery of the event carries a " +
          "fresh one, or read the recording with an API key.",
      );
    if (verdict !== "ok")
      throw linkRefused("This recording link is not valid: it was altered or is for another recording.");
    const principal: Principal = {
      kind: "key",
      keyId: RECORDING_LINK_ACTOR,
      tenantId,
      scopes: [],
      residency: await tenantResidencyOf(c.env.DB, tenantId),
    };
    c.set("principal", principal);
    await next();
  });
}
