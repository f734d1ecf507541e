// npm run provision (scripts/provision.mjs) against a fake account (fixtures/fake-wrangler.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "smol-toml";
import { sandbox } from "./helpers.mjs";

test("--dry-run prints the wrangler commands for every binding [env.staging] declares, and runs none", () => {
  const box = sandbox();
  const before = box.text();
  const { code, stdout, calls } = box.run("provision.mjs", ["--env", "staging", "--dry-run"]);
  assert.equal(code, 0, stdout);
  assert.deepEqual(calls, [], "a dry run runs no wrangler command");
  const cfg = `--env staging --config ${box.config}`;
  for (const line of [
    `$ wrangler d1 list --json ${cfg}`,
    `$ wrangler d1 create voice-edge-staging ${cfg}`,
    `$ wrangler r2 bucket create voice-edge-archive-staging ${cfg}`,
    `$ wrangler r2 bucket info voice-edge-archive-eu-staging --jurisdiction eu --json ${cfg}`,
    `$ wrangler r2 bucket create voice-edge-archive-eu-staging --jurisdiction eu ${cfg}`,
    `$ wrangler queues create voice-edge-events-staging ${cfg}`,
    `$ wrangler queues create voice-edge-events-dlq-staging ${cfg}`,
    `$ wrangler d1 migrations apply DB --remote ${cfg}`,
  ])
    assert.ok(stdout.includes(line), `missing: ${line}\n${stdout}`);
  // Each queue once, though a producer and a consumer name it.
  assert.equal(stdout.split(`$ wrangler queues create voice-edge-events-staging `).length, 2);
  // The bindings that need nothing created are named, with why.
  for (const binding of ["CALL", "TENANT_LIMITS", "METRICS", "ANALYTICS"])
    assert.match(stdout, new RegExp(`^# ${binding}: .*nothing to create`, "m"));
  assert.equal(box.text(), before, "nothing written");
});

test("a binding added to the configuration appears in the plan without a change to the script", () => {
  const box = sandbox({
    edit: (t) =>
      `${t}\n[[env.staging.kv_namespaces]]\nbinding = "CACHE"\n\n` +
      `[[env.staging.r2_buckets]]\nbinding = "EXPORTS"\nbucket_name = "voice-edge-exports-staging"\n\n` +
      `[[env.staging.ratelimits]]\nname = "TURN_LIMITER"\nnamespace_id = "1001"\n` +
      `simple = { limit = 100, period = 60 }\n\n` +
      `[[env.staging.vectorize]]\nbinding = "VECTORS"\nindex_name = "voice-edge-staging-memory"\n`,
  });
  const { code, stdout } = box.run("provision.mjs", ["--env", "staging", "--dry-run"]);
  assert.equal(code, 0, stdout);
  const cfg = `--env staging --config ${box.config}`;
  assert.ok(stdout.includes(`$ wrangler kv namespace create voice-edge-staging-CACHE ${cfg}`), stdout);
  assert.ok(stdout.includes(`[[env.staging.kv_namespaces]] id`), stdout);
  assert.ok(stdout.includes(`$ wrangler r2 bucket create voice-edge-exports-staging ${cfg}`), stdout);
  assert.match(stdout, /^# TURN_LIMITER: Rate Limiting namespace namespace_id 1001: nothing to create/m);
  assert.match(stdout, /^# VECTORS: Vectorize index voice-edge-staging-memory: not created by this script/m);
  assert.match(stdout, /Not created by this script .*VECTORS \(Vectorize index\)/);
  // Production is another environment: none of it in staging's plan.
  assert.doesNotMatch(stdout, /production/);
});

test("provisioning creates what is missing, writes the ids, applies migrations; a second run changes nothing", () => {
  const box = sandbox({
    edit: (t) => `${t}\n[[env.staging.kv_namespaces]]\nbinding = "CACHE"\n`,
    // The account already has the EU bucket; the rest is missing.
    account: { r2: [{ name: "voice-edge-archive-eu-staging", jurisdiction: "eu" }] },
  });
  const before = box.text();
  const first = box.run("provision.mjs", ["--env", "staging"]);
  assert.equal(first.code, 0, first.out);
  const creates = first.calls.filter((c) => / create /.test(c)).map((c) => c.split(" --env")[0]);
  assert.deepEqual(creates.sort(), [
    "d1 create voice-edge-staging",
    "kv namespace create voice-edge-staging-CACHE",
    "queues create voice-edge-events-dlq-staging",
    "queues create voice-edge-events-staging",
    "r2 bucket create voice-edge-archive-staging",
  ]);
  assert.ok(first.calls.some((c) => c.startsWith("d1 migrations apply DB --remote --env staging")));
  const account = box.account();
  const written = parse(box.text()).env.staging;
  assert.equal(written.d1_databases[0].database_id, account.d1[0].uuid);
  assert.equal(written.kv_namespaces[0].id, account.kv[0].id);
  // Only those two values changed in the file; its comments and layout are as they were.
  const changed = box
    .text()
    .split("\n")
    .filter((l) => !before.split("\n").includes(l));
  assert.deepEqual(changed, [`database_id = "${account.d1[0].uuid}"`, `id = "${account.kv[0].id}"`]);

  const again = box.run("provision.mjs", ["--env", "staging"]);
  assert.equal(again.code, 0, again.out);
  assert.deepEqual(
    again.calls.filter((c) => / create /.test(c)),
    [],
    "the second run creates nothing",
  );
  assert.equal(box.text().split("\n").length, before.split("\n").length + 2);
  assert.deepEqual(box.account(), account);
});

test("a lookup that fails for another reason than 'none' stops provisioning with wrangler's words", () => {
  const box = sandbox();
  const { code, out } = box.run("provision.mjs", ["--env", "staging"], {
    env: { VOICE_EDGE_WRANGLER: new URL("./fixtures/failing-wrangler.mjs", import.meta.url).pathname },
  });
  assert.equal(code, 1);
  assert.match(out, /provision: wrangler d1 list --json --env staging .* failed \(exit 1\):\n.*Authentication error/s);
});

test("--env is required, and must be an environment of the file", () => {
  const box = sandbox();
  assert.equal(box.run("provision.mjs", []).code, 2);
  const r = box.run("provision.mjs", ["--env", "prod"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no \[env\.prod\] \(it has: staging, production\)/);
});
