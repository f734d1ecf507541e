// bench:inprocess — what the Worker's own code costs per request, timed inside workerd by
// vitest-pool-workers: the whole fetch handler (middleware, auth, validation, the Durable Object
// RPCs, the call's storage) called in a loop, with no HTTP server, wrangler, load generator or log
// pipeline in between. Console lines are muted while timing: locally each costs milliseconds on
// its way to a terminal, which production does not pay. Figures only, nothing asserted.
// Timing: see per-call.ts.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { it, vi } from "vitest";
import { tenantLimits } from "../../src/security/tenant-limits";
import worker from "../../src/index";
import { ADMIN_TOKEN as ADMIN } from "../../test/helpers/api";
import { perCall } from "./per-call";

/** Requests run before each figure and not counted. */
const WARM = 100;

// A load test, not a tenant: the per-tenant request limit would answer 429s. One env object for
// the whole run, as a deployment has (test/helpers' fetchWithSettings makes one per request, which
// would defeat the per-env caches of the parsed config and provider settings).
const e = {
  ...env,
  TENANT_REQUESTS_PER_MINUTE: "1000000",
  TENANT_BURST: "1000000",
  TENANT_MAX_ACTIVE_CALLS: "100000",
} as unknown as Env;

/** One request through the Worker's fetch handler, its body read and its waitUntil work done. */
async function fetchOnce(req: Request): Promise<{ status: number; body: string }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(req, e, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body };
}

async function json<T>(req: Request): Promise<T> {
  const { status, body } = await fetchOnce(req);
  if (status < 200 || status > 299)
    throw new Error(`${req.method} ${new URL(req.url).pathname}: ${status} ${body.slice(0, 200)}`);
  return JSON.parse(body) as T;
}

it("prints the cost of the Worker's request paths", async () => {
  const log = console.log.bind(console);
  const { key } = await json<{ key: string }>(
    new Request("http://x/api/v1/admin/keys", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ tenantId: "inprocess", scopes: ["calls:write", "calls:read", "voice"] }),
    }),
  );
  const auth = { authorization: `Bearer ${key}` };
  const newCall = () =>
    json<{ callId: string }>(
      new Request("http://x/api/v1/calls?reply=text", {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: "{}",
      }),
    ).then((r) => r.callId);
  // A call takes at most MAX_TURNS_PER_CALL (500) turns: a fresh call every 400.
  let callId = await newCall();
  const turn = async (i: number) => {
    if (i % 400 === 399) callId = await newCall();
    await fetchOnce(
      new Request(`http://x/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: '{"text":"what is my balance"}',
      }),
    );
  };
  const limits = tenantLimits(e, "inprocess");
  const rows: [string, number][] = [];
  vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    rows.push([
      "GET /healthz (the whole app, no I/O)",
      await perCall(2000, () => fetchOnce(new Request("http://x/healthz")), WARM),
    ]);
    rows.push([
      "a Durable Object RPC that does nothing (TenantLimits.keyChanged)",
      await perCall(1000, () => limits.keyChanged("none"), WARM),
    ]);
    rows.push([
      "GET /api/v1/calls/{id} (auth RPC + the call's RPC)",
      await perCall(1000, () => fetchOnce(new Request(`http://x/api/v1/calls/${callId}`, { headers: auth })), WARM),
    ]);
    rows.push(["POST /api/v1/calls/{id}/turns?reply=text", await perCall(1000, turn, WARM)]);
  } finally {
    vi.restoreAllMocks();
  }
  log("\n== In-process request paths (bench/inprocess/paths.ts) ==");
  log(
    "inside workerd (vitest-pool-workers), one request at a time, console lines muted; ms per request and requests/s",
  );
  for (const [name, ms] of rows)
    log(`${name.padEnd(70)}${ms.toFixed(3).padStart(8)} ms${(1000 / ms).toFixed(0).padStart(8)}/s`);
});
