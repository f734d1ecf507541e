#!/usr/bin/env node
// Puts an environment back on the version it ran before, at once and for all traffic:
//
//   npm run rollback -- --env production                  the previous deployment's version (its largest share)
//   npm run rollback -- --env production --to <version>   a version of your choice (one of the last 100)
//   npm run rollback -- --env production --dry-run        says which, runs nothing
//
// "Previous" is read from `wrangler deployments list --json`: the newest deployment that served something other
// than what serves now. During a gradual deployment (new 10 %, old 90 %) that is the old version at 100 %. Then
// `wrangler rollback <version> --yes` does it. Cloudflare refuses a rollback across a Durable Object migration or
// to a version whose R2 bucket, KV namespace or queue no longer exists; bindings' data is not rolled back, which
// is why migrations only ever add (docs/deploying.md#migrations-and-rollbacks).
import { resolve } from "node:path";
import { readConfig, resolveEnv } from "./lib/wrangler-config.mjs";
import { listDeployments, servedBy } from "./lib/versions.mjs";
import { commandArgs, shown, wrangler } from "./lib/wrangler-run.mjs";

const USAGE = "usage: npm run rollback -- --env <staging|production> [--to <version id>] [--message text] [--dry-run]";

function main() {
  const args = commandArgs(process.argv.slice(2), { flags: ["dry-run"], usage: USAGE });
  if (!args) return 2;
  const configPath = resolve(args.config ?? "wrangler.toml");
  const { workerName } = resolveEnv(readConfig(configPath).raw, args.env);
  const cfg = ["--env", args.env, ...(args.config ? ["--config", configPath] : [])];

  let target = args.to;
  const deployments = listDeployments(cfg);
  const [now] = deployments;
  if (!now) throw new Error(`${workerName} has no deployments`);
  if (!target) {
    const before = deployments.find((d) => servedBy(d) !== servedBy(now));
    if (!before)
      throw new Error(
        `none of ${workerName}'s last ${deployments.length} deployments served another version: nothing to roll back ` +
          "to (name one with --to <version id>, from npx wrangler versions list)",
      );
    target = before.versions[0].id;
    console.log(
      `${workerName}: now ${now.versions.map((v) => `${v.id}@${v.percentage}%`).join(" ")}; ` +
        `before that (${before.created}) ${target}`,
    );
  }
  const message = args.message ?? `rollback to ${target} (npm run rollback)`;
  const cmd = ["rollback", target, "--yes", "--message", message, ...cfg];
  console.log(`$ ${shown(cmd)}`);
  if (args["dry-run"]) {
    console.log("--dry-run: nothing was run.");
    return 0;
  }
  const res = wrangler(cmd, { inherit: true });
  if (res.code !== 0)
    throw new Error(
      `${shown(cmd)} failed (exit ${res.code}). Cloudflare refuses a rollback across a Durable Object migration, ` +
        "or to a version whose bucket, namespace or queue was deleted: see docs/deploying.md#rolling-back",
    );
  console.log(`${workerName} serves ${target} again. Check it: npm run smoke -- --url <its URL>`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`rollback: ${err.message}`);
  process.exitCode = 1;
}
