import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { ApiError, errors, errorMessage } from "../../../lib/errors";
import { getFlow } from "../../../nlp/flows";
import { DEFAULT_FLOW_ID } from "../../../nlp/flows";
import { tenantRefOf } from "../../middleware/auth";
import { actorOf } from "../../actor";
import { randomAlphanumeric } from "../../../security/crypto";
import { acquireCallSlot, releaseCallSlot, slotShardOf } from "../../middleware/rate-limit";
import type { PinnedAgent } from "../../../call/agent";
import type { Residency } from "../../../call/residency";
import type { Config } from "../../../config/config";
import { llmConfigurationProblem } from "../../../routing/llm-order";
import { currentAgent } from "../../../storage/agent-store";
import { transcriptExists } from "../../../storage/cold-store";
import { locationHintFor, type CallerLocation } from "../../../storage/location-hint";
import { forgetCallResidency, recordCallResidency } from "../../../storage/residency-store";
import { acceptedAnswer, archivedCallExists, callStub } from "../call-stub";
import { ttsChain } from "../../../providers/registry";
import { callerPosition, type CallerCf } from "../../../routing/order";
import { replyOptions } from "../reply-options";
import { rpcCall } from "../../../observability/tracing";
import { scoped } from "../scoped";
import { log } from "../../../observability/log";
import { CreateCallBody, CreateCallResponse, problemResponses, ReplyQuery } from "../schemas";

import { byteSize } from "./views";
import { webhookEventsFor } from "../webhook-events";

/** POST /calls: start a call (its object speaks the greeting). */
export function createRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
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
        ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
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
      const agent = await agentOf(c.env, tenantId, body);
      // An agent call is named after its agent (no built-in flow id has a colon).
      const flow = agent ? `agent:${agent.agentId}` : (body.flow ?? DEFAULT_FLOW_ID);
      if (!agent && !getFlow(flow))
        throw new ApiError(
          422,
          "unknown_flow",
          `Flow '${flow}' does not exist; omit flow for the default '${DEFAULT_FLOW_ID}'.`,
        );
      const callId = body.callId ?? `call_${randomAlphanumeric(16)}`;
      const webhookEvents = webhookEventsFor(c.env.DB, tenantId, c.var.requestId);
      const residency = tenant.residency ?? body.residency ?? null;
      if (agent) refuseUnservedAgent(c.env, cfg, agent, residency);
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
      const slotShard = slotShardOf(c, tenantId, callId);
      const slot = await acquireCallSlot(c.env, cfg, slotShard, callId);
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
        const events = await webhookEvents;
        const answer = await rpcCall("create", (trace) =>
          callStub(c.env, tenantId, callId, residency, locationHint).create({
            caller: callerPosition(c.req.raw.cf as CallerCf | undefined),
            tenantId,
            callId,
            userId: body.userId ?? null,
            language: body.language ?? agent?.definition.language ?? cfg.DEFAULT_LANGUAGE,
            flow,
            ...(agent ? { agent } : {}),
            ...(events.length ? { webhookEvents: events } : {}),
            metadata,
            context,
            reply,
            residency,
            slotShard,
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
          await releaseCallSlot(c.env, cfg, slotShard, callId).catch((e: unknown) => {
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
          // A model agent without a greeting says nothing first.
          ...(created.greeting.text ? { greeting: created.greeting } : {}),
          ...(created.degraded ? { degraded: created.degraded } : {}),
          ...(residency ? { residency } : {}),
          ...(agent ? { agent: { agentId: agent.agentId, version: agent.version } } : {}),
        },
        201,
      );
    },
  );
}

/**
 * The agent a new call names, at its current version (the call pins it): 404 agent_not_found when
 * the tenant has no such agent (or deleted it); null for a flow call.
 */
async function agentOf(env: Env, tenantId: string, body: { agent?: string; flow?: string }) {
  if (body.agent === undefined) return null;
  if (body.flow !== undefined)
    throw new ApiError(
      400,
      "invalid_request",
      "Name a flow or an agent, not both: an agent call is driven by its agent.",
    );
  const agent = await currentAgent(env, tenantId, body.agent);
  if (!agent) throw errors.agentNotFound(body.agent);
  return agent;
}

/**
 * A model agent's call needs a model this deployment can use for it (LLM_PROVIDERS, the agent's
 * provider, the call's residency): without one every turn would be the fallback line, so the call
 * is refused at creation with the settings to change. Not retryable as it is: no Retry-After.
 */
function refuseUnservedAgent(env: Env, config: Config, agent: PinnedAgent, residency: Residency | null): void {
  if (agent.definition.flow !== undefined) return;
  const problem = llmConfigurationProblem(env, config, residency, agent.definition.llm?.provider);
  if (problem)
    throw new ApiError(503, "llm_not_configured", `Agent '${agent.agentId}' needs a language model: ${problem}`);
}
