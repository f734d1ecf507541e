import type { SessionRecord } from "../../call/records";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { callRule, tenantLimits } from "../../security/tenant-limits";
import { ANY_REGION, parseShardName, tenantShard } from "../../security/tenant-shards";
import type { CallRuntime } from "../call-runtime";

/**
 * The call's slot among its tenant's active calls (TENANT_MAX_ACTIVE_CALLS), held by the tenant
 * shard its create took it from (security/tenant-shards.ts): the call's object gives it back when
 * the call ends (an outbox job, retried by the alarm like any other, so the object does not empty
 * while it is pending), and keeps it from being purged as stale while the call goes on.
 */
export const JOB_RELEASE = "release";

/** Where the shard's name is kept in the object's storage (its key-value side, emptied with the rest). */
const SLOT_SHARD_KEY = "slotShard";
/** How often a call that keeps taking turns tells its shard so: far under the stale bound (an hour and more). */
const SEEN_EVERY_MS = 5 * 60_000;

/** Records the shard of the call's slot; called in the create's transaction. */
export function recordSlotShard(call: CallRuntime, shard: string | undefined): void {
  if (shard) call.storage.kv.put(SLOT_SHARD_KEY, shard);
}

/** The region of the call's slot shard: where the call was created from (ANY_REGION before shards). */
export function slotRegion(call: CallRuntime): string {
  const shard = call.storage.kv.get<string>(SLOT_SHARD_KEY);
  return (shard && parseShardName(shard)?.region) || ANY_REGION;
}

export async function runReleaseJob(call: CallRuntime, session = call.store.getSession()): Promise<void> {
  if (!session) return;
  const shard = call.storage.kv.get<string>(SLOT_SHARD_KEY);
  // A call created before shards held slots gives its slot back to the tenant's object.
  if (!shard) await tenantLimits(call.env, session.tenantId).releaseCall(session.callId);
  else await tenantShard(call.env, shard).releaseCall(shard, session.callId, callRule(call.config));
}

/** An erased call's slot, given back (idempotent); one that cannot be expires on its own (callRule). */
export async function releaseSlotBeforeErase(call: CallRuntime): Promise<void> {
  const session = call.store.getSession();
  await runReleaseJob(call, session).catch((err: unknown) => {
    log(
      "call_slot_release_failed",
      { tenantId: session?.tenantId, callId: session?.callId, error: errorMessage(err) },
      "error",
    );
  });
}

/**
 * Marks the call's slot as seen at most every SEEN_EVERY_MS, in the background (never on the
 * turn's path); a failed mark is tried again at the next turn after that.
 */
export function keepSlotFresh(call: CallRuntime, session: SessionRecord): void {
  const now = Date.now();
  // The create took the slot, which marks it seen: a call shorter than SEEN_EVERY_MS never asks.
  // Checked first: most turns need not read the shard's name from storage at all.
  const seenAt = call.memo.slotSeenAt ?? Date.parse(session.createdAt);
  if (now - seenAt < SEEN_EVERY_MS) return;
  const shard = call.storage.kv.get<string>(SLOT_SHARD_KEY);
  if (!shard) return;
  call.memo.slotSeenAt = now;
  call.waitUntil(
    tenantShard(call.env, shard)
      .seenCall(shard, session.callId)
      .catch(() => {
        call.memo.slotSeenAt = undefined;
      }),
  );
}
