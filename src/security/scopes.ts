import type { Residency } from "../call/residency";

export const SCOPES = ["calls:write", "calls:read", "voice", "agents:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, resolved only from a verified credential (never from the request body). */
export type Principal =
  | { kind: "key"; keyId: string; tenantId: string; scopes: readonly Scope[]; residency: Residency | null }
  /** The operator's ADMIN_TOKEN: manages keys and reads operator endpoints; owns no calls. */
  | { kind: "operator" };

export function hasScope(p: Principal, scope: Scope): boolean {
  if (p.kind === "operator") return scope === "admin";
  return p.scopes.includes(scope) || p.scopes.includes("admin");
}
