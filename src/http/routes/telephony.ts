import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { Config } from "../../config/config";
import { STREAM_OPEN_HEADER, type StreamOpen } from "../../pipeline/live/stream-open";
import { ApiError, errorMessage } from "../../lib/errors";
import { DEFAULT_FLOW_ID } from "../../nlp/flows";
import { log } from "../../observability/log";
import { rpcCall } from "../../observability/tracing";
import { callerPosition, type CallerCf } from "../../routing/order";
import { randomAlphanumeric } from "../../security/crypto";
import { acquireCallSlot, releaseCallSlot, slotShardOf } from "../middleware/rate-limit";
import { locationHintFor, type CallerLocation } from "../../storage/location-hint";
import { CALL_ID_PARAMETER } from "../../pipeline/live/twilio-adapter";
import { TWILIO_SIGNATURE_HEADER, verifyTwilioSignature } from "../../telephony/twilio-signature";
import { connectStreamTwiml, sayHangupTwiml, TWIML_CONTENT_TYPE } from "../../telephony/twiml";
import { callStub, unwrap, type CallRpc } from "./call-stub";
import { tenantResidencyOf } from "../../storage/residency-store";
import type { PinnedAgent } from "../../call/agent";
import type { Residency } from "../../call/residency";
import { llmConfigurationProblem } from "../../routing/llm-order";
import { currentAgent } from "../../storage/agent-store";
import { CallIdParam, problemResponses } from "./schemas";
import { webhookEventsFor } from "./webhook-events";

/**
 * The Twilio bridge: a Twilio number's Voice webhook creates a call and connects it, with TwiML
 * <Connect><Stream>, to a Media Streams WebSocket on the call's Durable Object, which runs it
 * through the same pipeline as our own live stream (src/pipeline/live/twilio-adapter.ts).
 *
 *   POST /api/v1/telephony/twilio/voice            the Voice webhook (form POST from Twilio)
 *   GET  /api/v1/telephony/twilio/stream/{callId}  the Media Streams WebSocket (Twilio connects)
 *
 * Twilio sends no API key: both are authenticated by X-Twilio-Signature (twilio-signature.ts),
 * HMAC-SHA1 with the account's Auth Token (TWILIO_AUTH_TOKEN) over the URL Twilio requested
 * (rebuilt from PUBLIC_BASE_URL behind a proxy) and, for the webhook, the form parameters. Calls
 * belong to TWILIO_TENANT_ID. Without both settings the routes answer 503 and accept nothing.
 *
 * The stream URL names the call in its path because the Worker must pick the call's object at the
 * upgrade, before any message; Twilio also hands the call id back as a custom parameter in
 * `start`, and the stream is dropped unless both match.
 */
export const TWILIO_VOICE_PATH = "/api/v1/telephony/twilio/voice";
export const TWILIO_STREAM_PATH = "/api/v1/telephony/twilio/stream";

/** Twilio's webhook bodies are a few dozen short fields; anything far larger is not Twilio. */
const MAX_FORM_BYTES = 64 * 1024;
const CALL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What the caller hears when the call cannot be taken (TwiML; Twilio plays it and hangs up). */
const SORRY = "Sorry, we cannot take your call right now. Please try again later.";

type StreamStub = { fetch(request: Request): Promise<Response> };

interface TwilioSettings {
  tokens: string[];
  tenantId: string;
}

function settings(cfg: Config): TwilioSettings {
  if (cfg.TWILIO_AUTH_TOKEN.length === 0 || !cfg.TWILIO_TENANT_ID) {
    throw new ApiError(
      503,
      "not_configured",
      "The Twilio bridge is not configured on this deployment: its " +
        "operator must set TWILIO_AUTH_TOKEN and TWILIO_TENANT_ID.",
    );
  }
  return { tokens: cfg.TWILIO_AUTH_TOKEN, tenantId: cfg.TWILIO_TENANT_ID };
}

/** The request's path and query string exactly as sent (still percent-encoded). */
function rawPathAndQuery(url: string): string {
  const afterScheme = url.indexOf("//");
  const slash = url.indexOf("/", afterScheme + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

/** The public origin Twilio calls: PUBLIC_BASE_URL (no trailing slash), else the request's own. */
function publicBase(c: Context<AppEnv>): string {
  return (c.var.config.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");
}

/** `https://host` → `wss://host` (Twilio streams are wss:// only). */
function wssBase(base: string): string {
  return `wss://${base.replace(/^[a-z]+:\/\//i, "")}`;
}

/**
 * An API key or the operator token (Bearer) gives no access here: only Twilio's signature does.
 * (Twilio itself sends no Bearer header; Basic credentials from a webhook URL are left to the signature check.)
 */
function refuseBearer(c: Context<AppEnv>): void {
  if (/^bearer\s/i.test(c.req.header("Authorization") ?? "")) {
    throw new ApiError(
      403,
      "forbidden",
      "API keys cannot call the Twilio routes; only Twilio may, signing " +
        "with the account's Auth Token (X-Twilio-Signature).",
    );
  }
}

/** Not signed by Twilio with this account's token: 401, as for a missing or invalid API key elsewhere. */
function unsigned(): ApiError {
  return new ApiError(
    401,
    "invalid_signature",
    "The X-Twilio-Signature header is missing or does not match this request; only " +
      "Twilio, signing with this account's Auth Token, may call this route.",
    {
      headers: { "WWW-Authenticate": 'TwilioSignature realm="voice-edge"' },
    },
  );
}

const tags = ["telephony"];
const security = [{ twilioSignature: [] }];

export function telephonyRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.registerComponent("securitySchemes", "twilioSignature", {
    type: "apiKey",
    in: "header",
    name: TWILIO_SIGNATURE_HEADER,
    description:
      "Twilio's request signature (HMAC-SHA1 with the account's Auth " +
      "Token, TWILIO_AUTH_TOKEN); these routes take no API key.",
  });

  // Documented here, served by the plain handlers below (the webhook's form body is Twilio's, read as signed).
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/twilio/voice",
    tags,
    summary: "Twilio Voice webhook: starts a call and connects it to the Media Stream",
    description:
      "Configure as the Voice webhook (HTTP POST) of a Twilio number. Checks X-Twilio-Signature, creates a call " +
      "for TWILIO_TENANT_ID and answers TwiML: <Connect><Stream> to GET " +
      "/api/v1/telephony/twilio/stream/{callId} with the call id as the `callId` parameter; the greeting is " +
      "spoken over the stream by the call's own text-to-speech. A call that cannot " +
      "be started is answered with <Say>…<Hangup/>. 503 until TWILIO_AUTH_TOKEN and TWILIO_TENANT_ID are set.",
    security,
    request: {
      body: {
        content: {
          "application/x-www-form-urlencoded": {
            schema: z.object({ CallSid: z.string().optional(), AccountSid: z.string().optional() }).passthrough(),
          },
        },
        required: true,
      },
    },
    responses: {
      200: { description: "TwiML", content: { "text/xml": { schema: z.string() } } },
      ...problemResponses(401, 403, 413, 503),
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/twilio/stream/{callId}",
    tags,
    summary: "Twilio Media Streams WebSocket of a call",
    description:
      "Opened by Twilio from the webhook's TwiML (bidirectional <Connect><Stream>), signed with " +
      "X-Twilio-Signature over the wss:// URL. Speaks Twilio's messages: connected, start (its " +
      "customParameters.callId must be the path's), media (base64 mu-law 8 kHz), dtmf, mark, stop in; media, " +
      "mark and clear (barge-in) out. The call runs through the same pipeline as GET " +
      "/api/v1/calls/{callId}/stream.",
    security,
    request: { params: CallIdParam },
    responses: {
      101: { description: "Switching Protocols: the WebSocket is open." },
      ...problemResponses(401, 403, 404, 409, 426, 503),
    },
  });

  app.post("/twilio/voice", async (c) => {
    const twilio = settings(c.var.config);
    refuseBearer(c);
    const tooLarge = () =>
      new ApiError(413, "payload_too_large", `Webhook bodies are limited to ${MAX_FORM_BYTES} bytes.`);
    if (Number(c.req.header("Content-Length") ?? 0) > MAX_FORM_BYTES) throw tooLarge();
    const raw = await c.req.raw.arrayBuffer();
    if (raw.byteLength > MAX_FORM_BYTES) throw tooLarge();
    const body = new TextDecoder().decode(raw);
    const isForm = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(c.req.header("Content-Type") ?? "");
    const form = isForm ? new URLSearchParams(body) : new URLSearchParams();
    const signedUrl = publicBase(c) + rawPathAndQuery(c.req.url);
    if (!(await verifyTwilioSignature(twilio.tokens, signedUrl, form, c.req.header(TWILIO_SIGNATURE_HEADER))))
      throw unsigned();
    // Twilio posts a form. Any other body reads as an empty form, and one signed over the bare URL
    // verifies as one: it would start a call for nothing. 415, and nothing is created.
    if (!isForm) {
      const detail = "Twilio's voice webhook is a form: Content-Type application/x-www-form-urlencoded.";
      throw new ApiError(415, "unsupported_media_type", detail);
    }

    const cfg = c.var.config;
    const tenantId = twilio.tenantId;
    // The call is named after Twilio's CallSid, so a webhook Twilio sends again reaches the same
    // call instead of starting a second one; the tenant's residency places it (an EU tenant's
    // phone calls stay in the EU like its other calls).
    const callSid = form.get("CallSid");
    const callId =
      typeof callSid === "string" && /^CA[0-9a-f]{32}$/i.test(callSid)
        ? `twilio_${callSid}`
        : `call_${randomAlphanumeric(16)}`;
    const webhookEvents = webhookEventsFor(c.env.DB, tenantId, c.var.requestId);
    const residency = await tenantResidencyOf(c.env.DB, tenantId);
    const twiml = (xml: string) =>
      c.body(xml, 200, { "Content-Type": TWIML_CONTENT_TYPE, "Cache-Control": "no-store" });
    const slotShard = slotShardOf(c, tenantId, callId);
    let slot: { fresh: boolean };
    try {
      slot = await acquireCallSlot(c.env, cfg, slotShard, callId);
    } catch (err) {
      log(
        "twilio_call_refused",
        { requestId: c.var.requestId, reason: err instanceof ApiError ? err.code : "error" },
        "warn",
      );
      return twiml(sayHangupTwiml(SORRY));
    }
    const agent = await phoneAgent(c.env, cfg, tenantId, residency, c.var.requestId);
    const events = await webhookEvents;
    try {
      const answer = await rpcCall("create", (trace) =>
        callStub(
          c.env,
          tenantId,
          callId,
          residency,
          locationHintFor(c.req.raw.cf as CallerLocation | undefined),
        ).create({
          caller: callerPosition(c.req.raw.cf as CallerCf | undefined),
          tenantId,
          callId,
          userId: null,
          language: agent?.definition.language ?? cfg.DEFAULT_LANGUAGE,
          flow: agent ? `agent:${agent.agentId}` : DEFAULT_FLOW_ID,
          ...(agent ? { agent } : {}),
          ...(events.length ? { webhookEvents: events } : {}),
          // The caller's number is personal data: only Twilio's ids are kept, to match Twilio's logs
          // (and to transfer the call through Twilio's REST API).
          metadata: { channel: "twilio", ...twilioIds(form) },
          context: {},
          // The greeting is spoken over the media stream once it starts (call-streams.ts greet), in the
          // same voice as the replies: nothing to synthesise yet.
          reply: { mode: "text", format: "mulaw", sampleRate: 8000 },
          residency,
          slotShard,
          requestId: c.var.requestId,
          ...(trace ? { trace } : {}),
        }),
      );
      // The same CallSid again (Twilio retrying the webhook): connect it to the call it already has.
      if (!("error" in answer && answer.error.code === "call_exists")) unwrap(answer);
    } catch (err) {
      if (slot.fresh) await releaseCallSlot(c.env, cfg, slotShard, callId).catch(() => undefined);
      log("twilio_call_failed", { requestId: c.var.requestId, message: errorMessage(err) }, "error");
      return twiml(sayHangupTwiml(SORRY));
    }
    log("twilio_call_started", { requestId: c.var.requestId, tenantId, callId });
    const streamUrl = `${wssBase(publicBase(c))}${TWILIO_STREAM_PATH}/${callId}`;
    const parameters = { [CALL_ID_PARAMETER]: callId };
    return twiml(connectStreamTwiml({ streamUrl, parameters }));
  });

  app.get("/twilio/stream/:callId", async (c) => {
    const twilio = settings(c.var.config);
    refuseBearer(c);
    const callId = c.req.param("callId");
    // Twilio signs the handshake over the wss:// URL it opened, with no parameters.
    const signedUrl = wssBase(publicBase(c)) + rawPathAndQuery(c.req.url);
    if (
      !(await verifyTwilioSignature(twilio.tokens, signedUrl, {}, c.req.header(TWILIO_SIGNATURE_HEADER), {
        trailingSlash: true,
      }))
    )
      throw unsigned();
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(
        426,
        "upgrade_required",
        "This route is Twilio's Media Streams WebSocket (Upgrade: websocket).",
        { headers: { Upgrade: "websocket" } },
      );
    }
    if (!CALL_ID.test(callId)) throw new ApiError(404, "call_not_found", "No such call.");
    const open: StreamOpen = { tenantId: twilio.tenantId, callId, requestId: c.var.requestId, twilio: true };
    const stub = callStub(
      c.env,
      twilio.tenantId,
      callId,
      await tenantResidencyOf(c.env.DB, twilio.tenantId),
    ) as CallRpc as unknown as StreamStub;
    const res = await stub.fetch(
      new Request("https://call-session/stream", {
        headers: { Upgrade: "websocket", [STREAM_OPEN_HEADER]: JSON.stringify(open) },
      }),
    );
    if (res.status === 101 && res.webSocket) return new Response(null, { status: 101, webSocket: res.webSocket });
    const p = (await res.json()) as { status: number; code: string; detail: string };
    throw new ApiError(p.status as ApiError["status"], p.code, p.detail);
  });

  return app;
}

/** The AccountSid and CallSid of Twilio's webhook, when they look like Twilio's. */
function twilioIds(form: URLSearchParams): Record<string, string> {
  const account = form.get("AccountSid");
  const call = form.get("CallSid");
  return {
    ...(typeof call === "string" && /^CA[0-9a-f]{32}$/i.test(call) ? { twilioCallSid: call } : {}),
    ...(typeof account === "string" && /^AC[0-9a-f]{32}$/i.test(account) ? { twilioAccountSid: account } : {}),
  };
}

/**
 * The agent that answers phone calls (TWILIO_AGENT_ID), at its current version. A caller must
 * always be answered: an agent that is missing, or whose model this call could not use, is logged
 * and the default flow answers instead.
 */
async function phoneAgent(
  env: Env,
  cfg: Config,
  tenantId: string,
  residency: Residency | null,
  requestId: string,
): Promise<PinnedAgent | null> {
  const agentId = cfg.TWILIO_AGENT_ID;
  if (!agentId) return null;
  const agent = await currentAgent(env, tenantId, agentId).catch((err: unknown) => {
    log("twilio_agent_unavailable", { requestId, agentId, reason: errorMessage(err) }, "warn");
    return null;
  });
  const problem = agent
    ? agent.definition.flow === undefined
      ? llmConfigurationProblem(env, cfg, residency, agent.definition.llm?.provider)
      : undefined
    : "no such agent";
  if (!agent || problem) {
    log("twilio_agent_unavailable", { requestId, agentId, reason: problem }, "warn");
    return null;
  }
  return agent;
}
