import type { Residency } from "../call/residency";

export const SCOPES = ["calls:write", "calls:read", "voice", "agents:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, resolved only from a verified credential (never from the request body). */
export type Principal =
  | { kind: "key"; keyId: string; tenantId: string; scopes: readonly Scope[]; residency: Residency | null }
  /** The operator's ADMIN_TOKEN: manages keys and reads operator endpoints; owns no calls. */
  | { kind: "operator" };

/** Whether `p` holds `scope`, or any one of a list (a route some scopes each admit; "admin" admits all). */
export function hasScope(p: Principal, scope: Scope | readonly Scope[]): boolean {
  const any: readonly Scope[] = typeof scope === "string" ? [scope] : scope;
  if (p.kind === "operator") return any.includes("admin");
  return p.scopes.includes("admin") || any.some((s) => p.scopes.includes(s));
}
