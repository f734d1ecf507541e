import type { AuditUse } from "../../storage/call-row";

/** Who made a request of the call, as the RPC input says: its key (`actor`) and request id. */
export interface KeyUser {
  actor?: string | undefined;
  requestId?: string | undefined;
}

/**
 * The audit use a request makes of its key on this call, when it says which key: recorded in the
 * same write as the change it made, and sent to D1's audit log with the call's next sync.
 */
export function keyUse(from: KeyUser, action: string, at: string): { use?: AuditUse } {
  if (!from.actor) return {};
  return {
    use: { action, actor: from.actor, at, result: "ok", ...(from.requestId ? { requestId: from.requestId } : {}) },
  };
}
