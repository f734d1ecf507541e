// Small JSON helpers for the benches' setup requests (keys, calls); the load itself goes through autocannon.
export const ADMIN_TOKEN = "bench-admin-token-0123456789";

/** A response body as JSON, or undefined when it is not JSON. */
export function jsonOrUndefined(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function client(base) {
  const request = async (path, { method = "GET", token, json, body, contentType } = {}) => {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (json !== undefined) headers["content-type"] = "application/json";
    if (contentType) headers["content-type"] = contentType;
    let res;
    try {
      res = await fetch(base + path, {
        method,
        headers,
        body: json !== undefined ? JSON.stringify(json) : body,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new Error(`cannot reach ${base}${path} (${err.cause?.code ?? err.message})`, { cause: err });
    }
    const text = await res.text();
    return { status: res.status, data: jsonOrUndefined(text), text, headers: res.headers, bytes: text.length };
  };
  const must = async (path, init) => {
    const r = await request(path, init);
    if (r.status < 200 || r.status >= 300)
      throw new Error(`${init?.method ?? "GET"} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.data;
  };
  return { request, must };
}

/** A tenant API key with the scopes the benches use. */
export async function benchKey(api, adminToken, tenantId) {
  const { key } = await api.must("/api/v1/admin/keys", {
    method: "POST",
    token: adminToken,
    json: { tenantId, scopes: ["calls:write", "calls:read", "voice"] },
  });
  return key;
}

/** Settings that keep the per-tenant limits (src/config/config.ts, at their maxima) out of a load test's way. */
export const UNLIMITED = [
  "TENANT_REQUESTS_PER_MINUTE=1000000",
  "TENANT_BURST=1000000",
  "TENANT_MAX_ACTIVE_CALLS=100000",
  "MAX_TURNS_PER_CALL=100000",
];
