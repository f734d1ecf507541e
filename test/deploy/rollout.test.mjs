// npm run rollout and npm run rollback (scripts/rollout.mjs, scripts/rollback.mjs) against a fake account whose
// Worker has versions and deployments.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sandbox } from "./helpers.mjs";

const OLD = "aaaaaaaa-0000-4000-8000-000000000001";
const NEW = "bbbbbbbb-0000-4000-8000-000000000002";
const account = () => ({
  versions: [
    { id: OLD, created: "2026-12-06T10:00:00Z", tag: "1111111" },
    { id: NEW, created: "2026-12-07T10:00:00Z", tag: "2222222" },
  ],
  deployments: [{ id: "dep0", created: "2026-12-06T10:01:00Z", versions: [[OLD, 100]] }],
});
const deploys = (calls) =>
  calls.filter((c) => /^(versions deploy|rollback|triggers deploy)/.test(c)).map((c) => c.split(" --")[0]);

test("a gradual rollout: the tagged version at 10 %, the serving one at 90 %, then 100 % and the triggers", () => {
  const box = sandbox({ account: account() });
  const ten = box.run("rollout.mjs", ["--env", "production", "--tag", "2222222", "--percent", "10"]);
  assert.equal(ten.code, 0, ten.out);
  assert.deepEqual(deploys(ten.calls), [`versions deploy ${NEW}@10% ${OLD}@90%`]);
  assert.ok(ten.calls.some((c) => c.includes("--yes") && c.includes("--env production")));

  const all = box.run("rollout.mjs", ["--env", "production", "--tag", "2222222", "--percent", "100"]);
  assert.equal(all.code, 0, all.out);
  assert.deepEqual(deploys(all.calls), [`versions deploy ${NEW}@100%`, "triggers deploy"]);
});

test("a rollout refuses a tag no version carries, and a second gradual deployment over one in progress", () => {
  const box = sandbox({ account: account() });
  const none = box.run("rollout.mjs", ["--env", "production", "--tag", "3333333", "--percent", "10"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no version of voice-edge-production is tagged 3333333/);
  const a = account();
  a.deployments.push({
    id: "dep1",
    created: "2026-12-07T10:01:00Z",
    versions: [
      [NEW, 10],
      [OLD, 90],
    ],
  });
  a.versions.push({ id: "cccccccc-0000-4000-8000-000000000003", created: "2026-12-07T11:00:00Z", tag: "3333333" });
  const busy = sandbox({ account: a }).run("rollout.mjs", [
    "--env",
    "production",
    "--tag",
    "3333333",
    "--percent",
    "10",
  ]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /finish or roll back the one in progress first/);
});

test("rollback during a gradual deployment puts the old version back at 100 %", () => {
  const a = account();
  a.deployments.push({
    id: "dep1",
    created: "2026-12-07T10:01:00Z",
    versions: [
      [NEW, 10],
      [OLD, 90],
    ],
  });
  const box = sandbox({ account: a });
  const r = box.run("rollback.mjs", ["--env", "production"]);
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(deploys(r.calls), [`rollback ${OLD}`]);
  assert.ok(r.calls.some((c) => c.startsWith(`rollback ${OLD} --yes --message`)));
});

test("rollback after a full deployment goes to the version before; --dry-run only says so", () => {
  const a = account();
  a.deployments.push({
    id: "dep1",
    created: "2026-12-07T10:01:00Z",
    versions: [
      [NEW, 10],
      [OLD, 90],
    ],
  });
  a.deployments.push({ id: "dep2", created: "2026-12-07T10:30:00Z", versions: [[NEW, 100]] });
  const box = sandbox({ account: a });
  const dry = box.run("rollback.mjs", ["--env", "production", "--dry-run"]);
  assert.equal(dry.code, 0, dry.out);
  assert.deepEqual(deploys(dry.calls), []);
  assert.match(dry.stdout, new RegExp(`\\$ wrangler rollback ${OLD} --yes`));
  const r = box.run("rollback.mjs", ["--env", "production"]);
  assert.deepEqual(deploys(r.calls), [`rollback ${OLD}`]);
});

test("rollback with nothing before says so", () => {
  const r = sandbox({ account: account() }).run("rollback.mjs", ["--env", "staging"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nothing to roll back to/);
});
