// wrangler.toml's environments (npm run test:deploy): isolated storage, nothing forgotten, limits set, and
// migrations a rollback can live with. Read with the same parser the deployment scripts use.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "smol-toml";
import {
  environmentNames,
  LOCAL,
  missingFromEnv,
  readConfig,
  resolveEnv,
  resources,
  ROOT,
  setInTableArray,
  sharedResources,
} from "../../scripts/lib/wrangler-config.mjs";

const { raw, text } = readConfig();
const ENVS = environmentNames(raw);

describe("wrangler.toml environments", () => {
  test("staging and production are declared, each its own Worker", () => {
    assert.deepEqual(ENVS.sort(), ["production", "staging"]);
    assert.equal(resolveEnv(raw, "staging").workerName, "voice-edge-staging");
    assert.equal(resolveEnv(raw, "production").workerName, "voice-edge-production");
  });

  test("no two environments (the local top level included) share a D1 database, an R2 bucket or a queue", () => {
    assert.deepEqual(sharedResources(raw), []);
    for (const env of ENVS) {
      const kinds = new Set(resources(raw, env).map((r) => r.key));
      for (const k of ["d1_databases", "r2_buckets", "queues", "durable_objects", "analytics_engine_datasets"])
        assert.ok(kinds.has(k), `[env.${env}] declares no ${k}`);
    }
  });

  test("the isolation check sees a bucket, a queue or a database id two environments share", () => {
    const sameBucket = setInTableArray(
      text,
      ["env", "production", "r2_buckets"],
      1,
      "bucket_name",
      "voice-edge-archive-eu-staging",
    );
    assert.deepEqual(
      sharedResources(parse(sameBucket)).map((s) => [s.identity, s.envs.map((e) => e.env)]),
      [["r2:eu:voice-edge-archive-eu-staging", ["staging", "production"]]],
    );
    const sameDlq = setInTableArray(
      text,
      ["env", "staging", "queues", "consumers"],
      0,
      "dead_letter_queue",
      "voice-edge-events-dlq",
    );
    assert.deepEqual(
      sharedResources(parse(sameDlq)).map((s) => s.identity),
      ["queue:voice-edge-events-dlq"],
    );
    let sameId = setInTableArray(
      text,
      ["env", "staging", "d1_databases"],
      0,
      "database_id",
      "11111111-2222-3333-4444-555555555555",
    );
    sameId = setInTableArray(
      sameId,
      ["env", "production", "d1_databases"],
      0,
      "database_id",
      "11111111-2222-3333-4444-555555555555",
    );
    assert.deepEqual(
      sharedResources(parse(sameId)).map((s) => s.identity),
      ["d1-id:11111111-2222-3333-4444-555555555555"],
    );
    // Rate Limiting counts per namespace_id, whichever Worker asks: one id in two environments shares the counters.
    const limiter = (env) =>
      `\n[[env.${env}.ratelimits]]\nname = "RL"\nnamespace_id = "1001"\nsimple = { limit = 10, period = 60 }\n`;
    assert.deepEqual(
      sharedResources(parse(`${text}${limiter("staging")}${limiter("production")}`)).map((s) => s.identity),
      ["ratelimit:1001"],
    );
    // A kind of binding the scripts do not know is compared whole.
    const pipeline = (env) => `\n[[env.${env}.pipelines]]\nbinding = "P"\npipeline = "p1"\n`;
    const unknown = `${text}${pipeline("staging")}${pipeline("production")}`;
    assert.deepEqual(
      sharedResources(parse(unknown)).map((s) => s.identity),
      ['pipelines:{"pipeline":"p1"}'],
    );
  });

  test("every environment declares every binding and var of the top level (wrangler inherits neither)", () => {
    for (const env of ENVS) assert.deepEqual(missingFromEnv(raw, env), { bindings: [], vars: [] }, `[env.${env}]`);
    const forgot = parse(`${text}\n[[kv_namespaces]]\nbinding = "CACHE"\nid = "local"\n`);
    assert.deepEqual(missingFromEnv(forgot, "staging").bindings, [{ key: "kv_namespaces", binding: "CACHE" }]);
  });

  test("each environment has a CPU limit, production's at least staging's and within the platform's 300,000 ms", () => {
    const cpu = (env) => resolveEnv(raw, env).limits?.cpu_ms;
    assert.equal(raw.limits, undefined, "the local top level keeps the platform's default");
    for (const env of ENVS) assert.ok(cpu(env) > 0 && cpu(env) <= 300_000, `[env.${env}] limits.cpu_ms`);
    assert.ok(cpu("production") >= cpu("staging"));
  });

  test("Durable Object migrations are one list for every environment, and only add classes", () => {
    for (const env of ENVS) assert.equal(raw.env[env].migrations, undefined, `[env.${env}] redeclares [[migrations]]`);
    for (const m of raw.migrations) {
      const ops = Object.keys(m).filter((k) => k !== "tag");
      assert.deepEqual(
        ops.filter((k) => !["new_sqlite_classes", "new_classes"].includes(k)),
        [],
        `migration ${m.tag} does more than add a class: it cannot go out as a version and no rollback crosses it ` +
          "(docs/deploying.md#migrations-and-rollbacks)",
      );
    }
    const declared = new Set(
      raw.migrations.flatMap((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])]),
    );
    for (const env of [LOCAL, ...ENVS])
      for (const r of resources(raw, env).filter((x) => x.key === "durable_objects"))
        assert.ok(declared.has(r.entry.class_name), `${env}: ${r.entry.class_name} has no migration`);
  });
});

/** Migrations written before this rule, reviewed: 0006 drops an index only, 0007 rebuilt audit_log with its columns. */
const REVIEWED = new Set(["0007_audit_log_rowid.sql"]);
/** Statements an older version of the code may not survive: a table or column it reads, gone or renamed. */
const CONTRACTING = /\bDROP\s+TABLE\b|\bDROP\s+COLUMN\b|\bRENAME\s+(TO|COLUMN)\b|\bALTER\s+TABLE\s+\S+\s+DROP\b/i;

test("D1 migrations only add: a table or column is dropped or renamed only in a `-- contract:` migration", () => {
  const dir = join(ROOT, "migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql"))) {
    if (REVIEWED.has(file)) continue;
    const sql = readFileSync(join(dir, file), "utf8");
    const code = sql.replace(/--.*$/gm, "");
    if (CONTRACTING.test(code))
      assert.match(
        sql,
        /^--\s*contract:/m,
        `migrations/${file} drops or renames a table or column: the version running before it (and any rollback ` +
          "target) may still read it. Ship it in a release after the code stopped reading it, with a `-- contract:` " +
          "line saying which release that was (docs/deploying.md#migrations-and-rollbacks).",
      );
  }
});
