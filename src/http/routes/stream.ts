import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import type { CallSession } from "../../durable/call-session";
import { STREAM_OPEN_HEADER, type StreamOpen } from "../../pipeline/live/stream-open";
import { ApiError, problem } from "../../lib/errors";
import { CLOSE } from "../../stream/protocol";
import { tenantRefOf } from "../middleware/auth";
import { parseStreamToken, STREAM_TOKEN_TTL_MS, streamTokenHash } from "../../security/stream-token";
import { streamAuth, usesStreamToken } from "../middleware/stream-auth";
import type { Residency } from "../../call/residency";
import { callerPosition, type CallerCf } from "../../routing/order";
import { callStub, notFoundAnswer, onCall, throwEndedOrMissing, unwrap, type CallRpc } from "./call-stub";
import { CallIdParam, problemResponses } from "./schemas";
import { scoped } from "./scoped";

/** The call object as these routes use it: its stream RPC and the fetch that carries the upgrade. */
type StreamStub = Pick<CallSession, "issueStreamToken"> & { fetch(request: Request): Promise<Response> };
const streamStub = (call: CallRpc): StreamStub => call as unknown as StreamStub;

const StreamTokenResponse = z
  .object({
    token: z.string().openapi({ description: "Pass as `?token=` to GET /api/v1/calls/{callId}/stream; single use." }),
    expiresAt: z
      .string()
      .openapi({ description: `When the token stops working (${STREAM_TOKEN_TTL_MS / 1000} s after it was issued).` }),
  })
  .openapi("StreamToken");

const tags = ["calls"];

/**
 * The live call stream (src/pipeline/live/live-stream.ts for the protocol's server side): a WebSocket on
 * the call's Durable Object, opened with a Bearer key or a single-use token from stream-token.
 */
export function streamRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.registerComponent("securitySchemes", "streamToken", {
    type: "apiKey",
    in: "query",
    name: "token",
    description:
      "A single-use stream token from POST " +
      "/api/v1/calls/{callId}/stream-token (for browsers, which cannot set headers on a WebSocket).",
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/{callId}/stream-token",
      tags,
      summary: "A single-use token (60 s) that opens the call's live stream",
      description:
        "For browsers, which cannot send an Authorization header with a WebSocket: pass the token as " +
        "`?token=` to GET /api/v1/calls/{callId}/stream. It opens one stream, once, within 60 s, for " +
        "this call only, and stops working when the key that made it is revoked.",
      ...scoped("calls:write"),
      request: { params: CallIdParam },
      responses: {
        201: { description: "A token", content: { "application/json": { schema: StreamTokenResponse } } },
        ...problemResponses(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const { callId } = c.req.valid("param");
      const keyId = c.var.principal.kind === "key" ? c.var.principal.keyId : "";
      const { answer, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) => streamStub(call).issueStreamToken({ tenantId: tenant.tenantId, callId, keyId }),
        notFoundAnswer,
      );
      if (notFoundAnswer(answer)) await throwEndedOrMissing(c.env, tenant.tenantId, callId, residency);
      c.header("Cache-Control", "no-store");
      return c.json(unwrap(answer), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/{callId}/stream",
      tags,
      summary: "The call's live stream (WebSocket)",
      description:
        "Upgrades to a WebSocket on the call's Durable Object: caller audio in, events and reply audio out. " +
        "Send `start` first, then binary audio frames and `text`, `dtmf`, `stop` messages; the server sends " +
        "`ready`, `speech_started`, `transcript`, `dtmf`, `intent`, `reply`, binary reply audio, `reply_done`, " +
        "`interrupted`, `metrics`, `error` and `ended`. The messages are described in " +
        "docs/stream-protocol.schema.json and docs/streaming.md. Authenticate with a Bearer key " +
        "(scope calls:write) or `?token=`.",
      middleware: [streamAuth()] as const,
      security: [...scoped("calls:write").security, { streamToken: [] }],
      request: {
        params: CallIdParam,
        query: z.object({
          token: z.string().optional().openapi({ description: "A stream token, instead of an Authorization header." }),
        }),
      },
      responses: {
        101: {
          description:
            "Switching Protocols: the WebSocket is open. For a call that does not exist for this tenant, or has " +
            "ended, it carries one `error` message (call_not_found, call_ended) and closes with 4404 or 4410.",
        },
        ...problemResponses(400, 401, 403, 426),
      },
    }),
    async (c) => {
      const { callId } = c.req.valid("param");
      if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError(
          426,
          "upgrade_required",
          "This route is a WebSocket: connect with a WebSocket client (Upgrade: websocket).",
          { headers: { Upgrade: "websocket" } },
        );
      }
      const tenant = tenantRefOf(c.var.principal);
      const token = usesStreamToken(c) ? c.req.query("token") : undefined;
      const open: StreamOpen = {
        tenantId: tenant.tenantId,
        callId,
        requestId: c.var.requestId,
        actor: c.var.principal.kind === "key" ? c.var.principal.keyId : undefined,
        tokenHash: token === undefined ? undefined : await streamTokenHash(token),
        caller: callerPosition(c.req.raw.cf as CallerCf | undefined),
      };
      const upgrade = (call: CallRpc) =>
        streamStub(call).fetch(
          new Request("https://call-session/stream", {
            headers: { Upgrade: "websocket", [STREAM_OPEN_HEADER]: JSON.stringify(open) },
          }),
        );
      let res: Response;
      let residency: Residency | null;
      if (token !== undefined) {
        // The token names the object that holds it (streamAuth checked that its claims parse).
        residency = parseStreamToken(token)?.residency ?? null;
        res = await upgrade(callStub(c.env, tenant.tenantId, callId, residency));
      } else {
        ({ answer: res, residency } = await onCall(c.env, tenant, callId, upgrade, (r) => r.status === 404));
      }
      if (res.status === 101 && res.webSocket) return new Response(null, { status: 101, webSocket: res.webSocket });
      const p = (await res.json()) as { status: number; code: string; detail: string };
      let refusal = p;
      // An archived call's object is empty: that is call_ended, not call_not_found (the token path
      // got 401 from the object for it, and tells nothing more).
      if (p.code === "call_not_found" && token === undefined) {
        refusal = await throwEndedOrMissing(c.env, tenant.tenantId, callId, residency).catch((err: unknown) => {
          if (err instanceof ApiError) return { status: err.status, code: err.code, detail: err.detail };
          throw err;
        });
      }
      // No such call (another tenant's included) or an ended one: a browser sees no status or body
      // of a refused upgrade, so the socket opens, says why in an `error` message, and closes
      // with 4404 or 4410.
      if (refusal.code === "call_not_found" || refusal.code === "call_ended")
        return refuseOnSocket(refusal, c.var.requestId);
      const wwwAuthenticate = res.headers.get("WWW-Authenticate");
      throw new ApiError(
        refusal.status as ApiError["status"],
        refusal.code,
        refusal.detail,
        wwwAuthenticate ? { headers: { "WWW-Authenticate": wwwAuthenticate } } : {},
      );
    },
  );
  return app;
}

/** An accepted socket that carries one `error` message (problem details) and closes with the call's close code. */
function refuseOnSocket(p: { status: number; code: string; detail: string }, requestId: string): Response {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  const { title } = problem(p.status, p.code, p.detail, requestId);
  server.send(JSON.stringify({ type: "error", status: p.status, code: p.code, title, detail: p.detail }));
  server.close(p.code === "call_ended" ? CLOSE.callEnded : CLOSE.notFound, p.code);
  return new Response(null, { status: 101, webSocket: client });
}
