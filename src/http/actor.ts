import type { Principal } from "../security/scopes";

/** The key id to record with a call's audit use, as RPC input (`actor`); none for the operator. */
export function actorOf(principal: Principal): { actor?: string } {
  return principal.kind === "key" ? { actor: principal.keyId } : {};
}
