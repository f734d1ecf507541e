#!/usr/bin/env node
// A smoke test of a running voice-edge, deployed or local:
//
//   ADMIN_TOKEN=... npm run smoke -- --url https://voice-edge-staging.<you>.workers.dev
//   ADMIN_TOKEN=dev-admin-token-change-me npm run smoke -- --url http://localhost:8787     (npm run dev)
//
// One line per step with its latency; at the first failure, a line saying what failed and what to check, and
// exit 1 (2 for a usage error). The steps: /healthz and /readyz; a throwaway tenant key made with the operator
// token; a call created, a text turn, a speech synthesis, the call read back, ended, then erased from every tier;
// the key revoked. What it leaves: audit rows, the revoked key's record, and the state one fixed tenant
// (SMOKE_TENANT) keeps whatever the run (its limits object, its residency row, its speech-cache entry for one
// fixed sentence), plus the metrics counters and Analytics Engine points every call adds to.
// Options: --timeout <ms per request> (default 30000), --tenant <id> (default voice-edge-smoke).
import { randomBytes } from "node:crypto";
import { parseArgs } from "./lib/wrangler-run.mjs";

const USAGE = "usage: ADMIN_TOKEN=<operator token> npm run smoke -- --url <base URL> [--timeout ms] [--tenant id]";
const SMOKE_TENANT = "voice-edge-smoke";
/** The one sentence it synthesizes: the same every run, so the speech cache holds one entry for it, not one a run. */
const SENTENCE = "This is the voice-edge smoke test.";

class StepError extends Error {}

function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    return Promise.resolve(2);
  }
  const token = process.env.ADMIN_TOKEN;
  if (!args.url || !token) {
    console.error(`${!args.url ? "--url is required" : "ADMIN_TOKEN is not set in the environment"}\n${USAGE}`);
    return Promise.resolve(2);
  }
  let base;
  try {
    base = new URL(args.url);
    if (!/^https?:$/.test(base.protocol)) throw new Error("not http(s)");
  } catch {
    console.error(`--url ${args.url} is not an http(s) URL\n${USAGE}`);
    return Promise.resolve(2);
  }
  return run(base.href.replace(/\/+$/, ""), token, {
    timeoutMs: Number(args.timeout ?? 30_000),
    tenant: args.tenant ?? SMOKE_TENANT,
  });
}

async function run(base, adminToken, { timeoutMs, tenant }) {
  const started = performance.now();
  const id = `smoke-${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}-${randomBytes(3).toString("hex")}`;
  let step = 0;
  const cleanup = []; // what to undo if a later step fails, newest first

  /** One HTTP request; a network failure or a timeout is a StepError that says what to check. */
  const request = async (method, path, { token, json } = {}) => {
    const headers = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (json !== undefined) headers["content-type"] = "application/json";
    let res;
    try {
      res = await fetch(base + path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = err.cause?.errors?.[0] ?? err.cause;
      const why =
        err.name === "TimeoutError"
          ? `no answer within ${timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? err.message);
      throw new StepError(`cannot reach ${base}${path} (${why}): is --url the Worker's address, and is it deployed?`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const type = res.headers.get("content-type") ?? "";
    const text = /^audio\//.test(type) ? "" : Buffer.from(bytes).toString("utf8");
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, type, bytes, headers: res.headers };
  };
  /** The problem+json detail of an error answer, or the start of its body. */
  const said = (r) =>
    r.body?.code ? `${r.body.code}: ${r.body.detail ?? r.body.title ?? ""}` : r.text.slice(0, 200).replace(/\s+/g, " ");
  const expect = (r, status, what) => {
    if (r.status !== status) throw new StepError(`${what}: expected ${status}, got ${r.status} (${said(r)})`);
    return r.body;
  };
  const timed = async (name, fn) => {
    step++;
    const t0 = performance.now();
    const note = await fn();
    const ms = (performance.now() - t0).toFixed(0).padStart(5);
    console.log(`ok   ${String(step).padStart(2)} ${name.padEnd(24)} ${ms} ms${note ? `  ${note}` : ""}`);
  };

  console.log(`smoke test of ${base} (tenant ${tenant}, call ${id})`);
  let key;
  try {
    await timed("GET /healthz", async () => {
      const r = await request("GET", "/healthz");
      if (r.status !== 200 || r.body?.status !== "ok")
        throw new StepError(
          `GET /healthz answered ${r.status} ${r.type || "(no content type)"}, not voice-edge's {"status":"ok"}: ` +
            "is --url the voice-edge Worker?",
        );
    });
    await timed("GET /readyz", async () => {
      const r = await request("GET", "/readyz");
      const failing = Object.entries(r.body?.checks ?? {})
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => `${name}: ${c.detail ?? "not ok"}`);
      if (r.status !== 200)
        throw new StepError(`GET /readyz answered ${r.status} (${r.body?.status ?? said(r)}): ${failing.join("; ")}`);
      return `${r.body.status}${failing.length ? ` (${failing.map((f) => f.split(":")[0]).join(", ")} not ok)` : ""}`;
    });
    await timed("create tenant key", async () => {
      const r = await request("POST", "/api/v1/admin/keys", {
        token: adminToken,
        json: { tenantId: tenant, name: `smoke ${id}`, scopes: ["calls:write", "calls:read", "voice", "admin"] },
      });
      if (r.status === 401 || r.status === 403)
        throw new StepError(
          `the operator token was refused (${r.status} ${said(r)}): ADMIN_TOKEN is not this deployment's ` +
            "(npx wrangler secret put ADMIN_TOKEN --env <env> sets it)",
        );
      key = expect(r, 201, "POST /api/v1/admin/keys");
      cleanup.unshift(["revoke the key", () => revoke(key.keyId)]);
      return `key ${key.keyId}`;
    });
    await timed("create call", async () => {
      const r = await request("POST", "/api/v1/calls?reply=text", { token: key.key, json: { callId: id } });
      expect(r, 201, "POST /api/v1/calls");
      cleanup.unshift(["erase the call", () => erase()]);
    });
    await timed("text turn", async () => {
      const r = await request("POST", `/api/v1/calls/${id}/turns?reply=text`, {
        token: key.key,
        json: { text: "what is my account balance" },
      });
      const b = expect(r, 200, "POST /api/v1/calls/{id}/turns");
      if (!b?.reply?.text) throw new StepError(`the turn answered no reply text: ${r.text.slice(0, 200)}`);
      return `intent ${b.intent?.name ?? "none"}`;
    });
    await timed("synthesize", async () => {
      const r = await request("POST", "/api/v1/voice/synthesize", { token: key.key, json: { text: SENTENCE } });
      expect(r, 200, "POST /api/v1/voice/synthesize");
      if (!r.type.startsWith("audio/") || r.bytes.length < 100)
        throw new StepError(`synthesize answered ${r.bytes.length} bytes of ${r.type || "no content type"}, not audio`);
      return `${r.bytes.length} bytes of ${r.type} from ${r.headers.get("x-voice-provider") ?? "?"}`;
    });
    await timed("read the call back", async () => {
      const r = await request("GET", `/api/v1/calls/${id}`, { token: key.key });
      const b = expect(r, 200, "GET /api/v1/calls/{id}");
      const turns = b?.history?.length ?? 0;
      if (turns < 2) throw new StepError(`the call read back has ${turns} history entries, expected the turn's two`);
      return `${turns} history entries, tier ${b.tier ?? "?"}`;
    });
    await timed("end the call", async () => {
      const r = await request("POST", `/api/v1/calls/${id}/end`, { token: key.key });
      const b = expect(r, 200, "POST /api/v1/calls/{id}/end");
      if (b?.status !== "ended") throw new StepError(`the call is ${b?.status ?? "?"} after ending it`);
    });
    await timed("erase the call", async () => {
      cleanup.shift();
      await erase();
    });
    await timed("revoke the key", async () => {
      cleanup.shift();
      await revoke(key.keyId);
    });
  } catch (err) {
    if (!(err instanceof StepError)) throw err;
    console.log(`FAIL ${String(step).padStart(2)} ${err.message}`);
    for (const [what, undo] of cleanup)
      await undo().then(
        () => console.log(`     cleaned up: ${what}`),
        (e) => console.log(`     could not ${what}: ${e.message}`),
      );
    return 1;
  }
  console.log(`passed: ${step} steps in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;

  async function erase() {
    const r = await request("DELETE", `/api/v1/calls/${id}`, { token: key.key });
    if (r.status !== 204) throw new StepError(`DELETE /api/v1/calls/{id}: expected 204, got ${r.status} (${said(r)})`);
  }
  async function revoke(keyId) {
    // 503 key_change_unconfirmed: stored but not yet confirmed in effect; the route asks for a repeat.
    for (let i = 0; i < 5; i++) {
      const r = await request("DELETE", `/api/v1/admin/keys/${keyId}`, { token: adminToken });
      if (r.status === 204) return;
      if (r.status !== 503)
        throw new StepError(`DELETE /api/v1/admin/keys/{keyId}: expected 204, got ${r.status} (${said(r)})`);
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new StepError("the key's revocation was not confirmed after 5 tries (503 key_change_unconfirmed)");
  }
}

process.exitCode = await main().catch((err) => {
  console.error(`smoke: ${err.stack ?? err.message}`);
  return 1;
});
