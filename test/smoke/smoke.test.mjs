// npm run smoke (scripts/smoke.mjs) against `wrangler dev`, as `npm run dev` runs it (npm run test:smoke; a Node
// test, not vitest's: it starts a local server). bench/lib/dev-server.mjs runs `wrangler dev` on a snapshot of the
// source, with the web console's assets, its own state directory (the D1 migrations applied first, as npm run
// dev does) and settings from a generated env file, so a developer's .dev.vars and .wrangler/state are not used.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freePort, ROOT, startDevServer } from "../../bench/lib/dev-server.mjs";

const ADMIN_TOKEN = "smoke-test-admin-token-0123456789";
const SMOKE = join(ROOT, "scripts", "smoke.mjs");
let server;

before(async () => {
  server = await startDevServer({
    label: "smoke",
    inspector: true, // `wrangler dev` itself, not the benches' unstable_startWorker
    assets: true,
    migrate: true,
    vars: [
      `ADMIN_TOKEN=${ADMIN_TOKEN}`,
      `ARCHIVE_KEYS=smoke:${randomBytes(32).toString("base64")}`,
      "DEV_EMULATE_JURISDICTION=true",
    ],
    readyTimeoutMs: 120_000,
  });
});
after(() => server?.stop());

/** Runs `npm run smoke`'s script: {code, stdout, stderr}. */
function smoke(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SMOKE, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function api(method, path, token, json) {
  const res = await fetch(server.base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { "content-type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

test("passes against npm run dev, a line per step with its latency; the call erased, the key revoked", async () => {
  const r = await smoke(["--url", server.base], { ADMIN_TOKEN });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const steps = r.stdout.split("\n").filter((l) => l.startsWith("ok "));
  assert.deepEqual(
    steps.map((l) => l.slice(8, 32).trim()),
    [
      "GET /healthz",
      "GET /readyz",
      "create tenant key",
      "create call",
      "text turn",
      "synthesize",
      "read the call back",
      "end the call",
      "erase the call",
      "revoke the key",
    ],
  );
  for (const l of steps) assert.match(l, /\d+ ms/);
  assert.match(r.stdout, /passed: 10 steps in/);

  // What it leaves: the key revoked, the call gone from every tier.
  const callId = /call (smoke-[\w-]+)\)/.exec(r.stdout)?.[1];
  const keyId = /key (\S+)$/m.exec(r.stdout)?.[1];
  const keys = await api("GET", "/api/v1/admin/keys?tenantId=voice-edge-smoke", ADMIN_TOKEN);
  const smokeKey = keys.body.keys.find((k) => k.keyId === keyId);
  assert.ok(smokeKey?.revokedAt, `key ${keyId} is revoked: ${JSON.stringify(keys.body)}`);
  const check = await api("POST", "/api/v1/admin/keys", ADMIN_TOKEN, {
    tenantId: "voice-edge-smoke",
    scopes: ["calls:read"],
  });
  try {
    const read = await api("GET", `/api/v1/calls/${callId}`, check.body.key);
    assert.equal(read.status, 404, `the smoke call ${callId} was erased: ${JSON.stringify(read.body)}`);
  } finally {
    await api("DELETE", `/api/v1/admin/keys/${check.body.keyId}`, ADMIN_TOKEN);
  }
});

test("fails clearly with a wrong operator token, and cleans up nothing it did not make", async () => {
  const r = await smoke(["--url", server.base], { ADMIN_TOKEN: "not-the-admin-token-0123456789" });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /^ok +1 GET \/healthz/m);
  assert.match(
    r.stdout,
    /^FAIL {2}3 the operator token was refused \(401 unauthorized: .*\): ADMIN_TOKEN is not this deployment's/m,
  );
  assert.doesNotMatch(r.stdout, /cleaned up/);
});

test("fails clearly with a wrong URL: nothing listening, or something that is not voice-edge", async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const r = await smoke(["--url", closed], { ADMIN_TOKEN });
  assert.equal(r.code, 1, r.stdout);
  assert.match(
    r.stdout,
    /^FAIL {2}1 cannot reach http:\/\/127\.0\.0\.1:\d+\/healthz \(ECONNREFUSED\): is --url the Worker's address/m,
  );

  // The Worker's web console is served, but /console/healthz is not voice-edge's health check.
  const wrongPath = await smoke(["--url", `${server.base}/console`], { ADMIN_TOKEN });
  assert.equal(wrongPath.code, 1, wrongPath.stdout);
  assert.match(
    wrongPath.stdout,
    /^FAIL {2}1 GET \/healthz answered \d+ .*not voice-edge's \{"status":"ok"\}: is --url the voice-edge Worker\?/m,
  );
});

test("usage errors: no --url, no ADMIN_TOKEN, not an http URL", async () => {
  assert.equal((await smoke([], { ADMIN_TOKEN })).code, 2);
  const env = { ...process.env };
  delete env.ADMIN_TOKEN;
  const noToken = await new Promise((resolve) => {
    const child = spawn(process.execPath, [SMOKE, "--url", server.base], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stderr }));
  });
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /ADMIN_TOKEN is not set/);
  const ftp = await smoke(["--url", "ftp://example.com"], { ADMIN_TOKEN });
  assert.equal(ftp.code, 2);
  assert.match(ftp.stderr, /is not an http\(s\) URL/);
});
