import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
const BASE = "http://voice-edge.test";

export type ApiInit = RequestInit & { key?: string; json?: unknown };

/** A request to the Worker: `key` becomes the Bearer header, `json` the body. */
export function apiRequest(path: string, init: ApiInit = {}): Request {
  const headers = new Headers(init.headers);
  if (init.key) headers.set("Authorization", `Bearer ${init.key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  return new Request(`${BASE}${path}`, { ...init, headers, body });
}

/** A request through the Worker's real fetch handler (routing, middleware, Durable Objects, D1, R2). */
export function api(path: string, init: ApiInit = {}): Promise<Response> {
  return exports.default.fetch(apiRequest(path, init));
}

let counter = 0;
/** Unique ids per test so tests never share a tenant, a call or a Durable Object. */
export function uid(prefix: string): string {
  counter++;
  return `${prefix}_${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`;
}

export const ALL_SCOPES = ["calls:write", "calls:read", "voice", "admin"];

export async function createKey(
  tenantId: string,
  scopes: string[] = ALL_SCOPES,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await api("/api/v1/admin/keys", {
    method: "POST",
    key: ADMIN_TOKEN,
    json: { tenantId, scopes, ...extra },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

/** A fresh tenant with one all-scopes key (EU-resident with `{ residency: "eu" }`). */
export async function tenant(options: { residency?: "eu" } = {}): Promise<{ tenantId: string; key: string }> {
  const tenantId = uid("t");
  return {
    tenantId,
    key: await createKey(tenantId, ALL_SCOPES, options.residency ? { residency: options.residency } : {}),
  };
}

export async function startCall(
  key: string,
  body: Record<string, unknown> = {},
  query = "?reply=text",
): Promise<string> {
  const res = await api(`/api/v1/calls${query}`, { method: "POST", key, json: body });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { callId: string }).callId;
}

export async function expectProblem(
  res: Response,
  status: number,
  code: string,
): Promise<{ detail: string; code: string }> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = JSON.parse(text) as { type: string; title: string; status: number; detail: string; code: string };
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(body.detail.length).toBeGreaterThan(10);
  expect(typeof body.title).toBe("string");
  return body;
}
