// npm run deploy:check (scripts/deploy-check.mjs) with `wrangler secret list` answered by a fake account.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setInTableArray } from "../../scripts/lib/wrangler-config.mjs";
import { sandbox } from "./helpers.mjs";

/** wrangler.toml with staging's D1 database provisioned (an id), so only the secrets are left to check. */
const provisioned = (t) =>
  setInTableArray(t, ["env", "staging", "d1_databases"], 0, "database_id", "5e1f0000-0000-4000-8000-000000000001");

test("names a missing secret, with the command that sets it, and exits non-zero", () => {
  const box = sandbox({ edit: provisioned, account: { secrets: ["ADMIN_TOKEN"] } });
  const { code, stdout, calls } = box.run("deploy-check.mjs", ["--env", "staging"]);
  assert.equal(code, 1, stdout);
  assert.deepEqual(calls, [`secret list --format json --env staging --config ${box.config}`]);
  assert.match(stdout, /secrets set: ADMIN_TOKEN/);
  assert.match(stdout, /✗ missing secret ARCHIVE_KEYS: the R2 encryption keys/);
  assert.match(
    stdout,
    /→ echo "k1:\$\(openssl rand -base64 32\)" \| npx wrangler secret put ARCHIVE_KEYS --env staging/,
  );
  assert.match(stdout, /1 problem: voice-edge-staging is not ready to deploy/);
});

test("passes when the configuration is provisioned and every needed secret is set", () => {
  const box = sandbox({ edit: provisioned, account: { secrets: ["ADMIN_TOKEN", "ARCHIVE_KEYS"] } });
  const { code, stdout } = box.run("deploy-check.mjs", ["--env", "staging"]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /✓ configuration: \d+ bindings, none shared with another environment/);
  assert.match(stdout, /✓ required secrets: ADMIN_TOKEN, ARCHIVE_KEYS/);
  assert.match(stdout, /voice-edge-staging is ready to deploy/);
});

test("a provider named in a chain needs its credentials; a bad var is named", () => {
  const box = sandbox({
    edit: (t) =>
      provisioned(t)
        .replace(/(\[env\.staging\.vars\][^[]*?)STT_PROVIDERS = ""/, '$1STT_PROVIDERS = "deepgram"')
        .replace(/(\[env\.staging\.vars\][^[]*?)TENANT_MAX_ACTIVE_CALLS = "20"/, '$1TENANT_MAX_ACTIVE_CALLS = "lots"'),
    account: { secrets: ["ADMIN_TOKEN", "ARCHIVE_KEYS"] },
  });
  const { code, stdout } = box.run("deploy-check.mjs", ["--env", "staging"]);
  assert.equal(code, 1, stdout);
  assert.match(stdout, /✗ missing secret DEEPGRAM_API_KEY: STT_PROVIDERS names 'deepgram'/);
  assert.match(stdout, /→ npx wrangler secret put DEEPGRAM_API_KEY --env staging/);
  assert.match(stdout, /✗ invalid var TENANT_MAX_ACTIVE_CALLS/);
});

test("names what the configuration lacks: an id not provisioned, a binding the environment forgot", () => {
  const box = sandbox({
    edit: (t) => `${t}\n[[kv_namespaces]]\nbinding = "CACHE"\nid = "local-cache"\n`,
    account: { secrets: ["ADMIN_TOKEN", "ARCHIVE_KEYS"] },
  });
  const { code, stdout } = box.run("deploy-check.mjs", ["--env", "production"]);
  assert.equal(code, 1, stdout);
  assert.match(
    stdout,
    /✗ D1 database DB \(voice-edge-production\) has no database_id: run npm run provision -- --env production/,
  );
  assert.match(stdout, /✗ binding CACHE \(kv_namespaces\) is declared at the top level but not in \[env\.production\]/);
});

test("a Worker never deployed has no secrets: all required ones are missing", () => {
  const box = sandbox({ edit: provisioned, account: { noWorker: true } });
  const { code, stdout } = box.run("deploy-check.mjs", ["--env", "staging"]);
  assert.equal(code, 1, stdout);
  assert.match(stdout, /not deployed yet/);
  assert.match(stdout, /missing secret ADMIN_TOKEN/);
  assert.match(stdout, /missing secret ARCHIVE_KEYS/);
});

test("a wrangler that cannot authenticate is a failure that says so", () => {
  const box = sandbox({ edit: provisioned });
  const { code, stdout } = box.run("deploy-check.mjs", ["--env", "staging"], {
    env: { VOICE_EDGE_WRANGLER: new URL("./fixtures/failing-wrangler.mjs", import.meta.url).pathname },
  });
  assert.equal(code, 1);
  assert.match(stdout, /secret list .* failed \(exit 1\); is wrangler logged in/);
  assert.match(stdout, /Authentication error/);
});

test("--list names the secrets an environment needs and may take, without asking Cloudflare", () => {
  const box = sandbox();
  const { code, stdout, calls } = box.run("deploy-check.mjs", ["--env", "production", "--list"]);
  assert.equal(code, 0, stdout);
  assert.deepEqual(calls, []);
  assert.match(stdout, /required {2}ADMIN_TOKEN/);
  assert.match(stdout, /required {2}ARCHIVE_KEYS/);
  assert.match(stdout, /optional {2}TWILIO_AUTH_TOKEN/);
});
