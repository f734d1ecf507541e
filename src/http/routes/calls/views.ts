import type { CallView as CallViewRecord } from "../../../call/records";
import type { TenantRef } from "../../middleware/auth";
import { readTranscript } from "../../../storage/cold-store";
import { readCall } from "../../../storage/warm-store";
import { archiveBucket } from "../../../storage/residency";
import { onCall } from "../call-stub";

export type Tier = "hot" | "warm" | "cold";

/** What a client may see of a call: internal fields (tenant, flow state, archive marks) stay inside. */
export function publicView(v: CallViewRecord, tier: Tier) {
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
    ...(v.agent ? { agent: { agentId: v.agent.agentId, version: v.agent.version } } : {}),
    ...(v.llmTokens ? { llmTokens: v.llmTokens } : {}),
    ...(v.analysis ? { analysis: v.analysis } : {}),
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

export function byteSize(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}
