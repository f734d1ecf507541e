import { tenantLimits } from "../../security/tenant-limits";
import type { CallStore } from "../../storage/call-store";

/**
 * The outbox job that gives an ended call's slot back to its tenant's limits object
 * (TENANT_MAX_ACTIVE_CALLS). Queued with the archive job when the call ends, so a failed release
 * is retried by the alarm like any other job, and the object does not empty while it is pending.
 */
export const JOB_RELEASE = "release";

export async function runReleaseJob(env: Env, store: CallStore, session = store.getSession()): Promise<void> {
  if (session) await tenantLimits(env, session.tenantId).releaseCall(session.callId);
}
