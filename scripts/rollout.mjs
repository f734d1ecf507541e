#!/usr/bin/env node
// Sends an uploaded version to a share of an environment's traffic (a gradual deployment), or to all of it:
//
//   npx wrangler versions upload --env production --tag <git sha>           (the pipeline does this first)
//   npm run rollout -- --env production --tag <git sha> --percent 10        new 10 %, the version serving now 90 %
//   npm run rollout -- --env production --tag <git sha> --percent 100       new 100 %, then `wrangler triggers deploy`
//
// The version is found by its tag (`wrangler versions list --json`), the one serving now by
// `wrangler deployments status --json`. The new version is always named first, so that raising its share keeps
// every Durable Object it already serves on it (a Durable Object runs one version at a time; Cloudflare keeps an
// object's version when the versions are given in the same order and one's share grows: docs/deploying.md).
// At 100 %, `wrangler triggers deploy` applies the cron triggers and routes, which a version upload does not.
// --version <id> instead of --tag; --dry-run prints the wrangler commands without running them.
import { resolve } from "node:path";
import { readConfig, resolveEnv } from "./lib/wrangler-config.mjs";
import { currentDeployment, listVersions } from "./lib/versions.mjs";
import { commandArgs, shown, wrangler } from "./lib/wrangler-run.mjs";

const USAGE =
  "usage: npm run rollout -- --env <staging|production> (--tag <tag> | --version <id>) --percent <1-100> [--dry-run]";

function main() {
  const args = commandArgs(process.argv.slice(2), { flags: ["dry-run"], usage: USAGE });
  if (!args) return 2;
  const percent = Number(args.percent);
  if (!(args.tag || args.version) || !Number.isInteger(percent) || percent < 1 || percent > 100) {
    console.error(USAGE);
    return 2;
  }
  const configPath = resolve(args.config ?? "wrangler.toml");
  const { workerName } = resolveEnv(readConfig(configPath).raw, args.env);
  const cfg = ["--env", args.env, ...(args.config ? ["--config", configPath] : [])];

  let id = args.version;
  if (!id) {
    const tagged = listVersions(cfg).filter((v) => v.tag === args.tag);
    if (!tagged.length)
      throw new Error(
        `no version of ${workerName} is tagged ${args.tag}: upload it first (wrangler versions upload --tag)`,
      );
    id = tagged.at(-1).id;
  }
  const now = currentDeployment(cfg);
  const others = now.versions.filter((v) => v.id !== id);
  if (percent < 100 && others.length !== 1)
    throw new Error(
      `${workerName} is served by ${now.versions.map((v) => `${v.id}@${v.percentage}%`).join(" ")}: a gradual ` +
        "deployment needs one other version to share the traffic with; finish or roll back the one in progress first",
    );
  const specs = percent < 100 ? [`${id}@${percent}%`, `${others[0].id}@${100 - percent}%`] : [`${id}@100%`];
  const message = args.message ?? `rollout ${args.tag ?? id} to ${percent}%`;
  const commands = [["versions", "deploy", ...specs, "--yes", "--message", message, ...cfg]];
  if (percent === 100) commands.push(["triggers", "deploy", ...cfg]);

  console.log(
    `${workerName}: now ${now.versions.map((v) => `${v.id}@${v.percentage}%`).join(" ")}; ` +
      `${percent < 100 ? `${id} gets ${percent}%` : `${id} gets all traffic`}`,
  );
  for (const c of commands) {
    console.log(`$ ${shown(c)}`);
    if (args["dry-run"]) continue;
    const res = wrangler(c, { inherit: true });
    if (res.code !== 0) throw new Error(`${shown(c)} failed (exit ${res.code})`);
  }
  if (args["dry-run"]) console.log("--dry-run: nothing was run.");
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`rollout: ${err.message}`);
  process.exitCode = 1;
}
