#!/usr/bin/env node
// Is an environment ready to deploy? Names everything missing and exits non-zero if anything is:
//
//   npm run deploy:check -- --env production          the configuration, then the secrets the Worker has
//                                                     (`wrangler secret list --env production`)
//   npm run deploy:check -- --env production --list   the secrets this environment needs and may take, from
//                                                     the settings' schemas; asks Cloudflare nothing
//
// From wrangler.toml (scripts/lib/wrangler-config.mjs): every binding and var of the top level is declared in
// [env.<name>] too (wrangler inherits neither), no storage is shared with another environment, D1 databases and
// KV namespaces have their ids (npm run provision writes them). From the settings' zod schemas
// (scripts/lib/settings.mjs): the vars are valid, ADMIN_TOKEN and ARCHIVE_KEYS are set, and so is every
// setting the providers named in STT_PROVIDERS, TTS_PROVIDERS and LLM_PROVIDERS need.
import { resolve } from "node:path";
import {
  environmentNames,
  missingFromEnv,
  readConfig,
  resolveEnv,
  resources,
  sharedResources,
  LOCAL,
} from "./lib/wrangler-config.mjs";
import { loadSchemas, REQUIRED_SECRETS, secretSettings, settingsProblems } from "./lib/settings.mjs";
import { commandArgs, shown, tail, wrangler } from "./lib/wrangler-run.mjs";

const USAGE = "usage: npm run deploy:check -- --env <staging|production> [--list] [--config wrangler.toml]";
/** `wrangler secret list` of a Worker never deployed: it has no secrets yet. */
const NO_WORKER = /\[code: 10007\]|does not exist|not found/i;

/** How to set a missing setting: a secret, a var, or a binding. */
function howToSet(name, env, catalog, bindings) {
  if (name === "ARCHIVE_KEYS")
    return `echo "k1:$(openssl rand -base64 32)" | npx wrangler secret put ARCHIVE_KEYS --env ${env}`;
  if (name === "ADMIN_TOKEN") return `openssl rand -base64 32 | npx wrangler secret put ADMIN_TOKEN --env ${env}`;
  if (catalog.some((s) => s.name === name)) return `npx wrangler secret put ${name} --env ${env}`;
  if (/^[A-Z][A-Z0-9_]*$/.test(name) && !bindings.includes(name))
    return `set it in [env.${env}.vars] in wrangler.toml (or as a secret)`;
  return `declare it in [env.${env}] in wrangler.toml`;
}

async function main() {
  const args = commandArgs(process.argv.slice(2), { flags: ["list"], usage: USAGE });
  if (!args) return 2;
  const env = args.env;
  const configPath = resolve(args.config ?? "wrangler.toml");
  const { raw } = readConfig(configPath);
  let config;
  try {
    config = resolveEnv(raw, env);
  } catch (err) {
    console.error(err.message);
    return 2;
  }
  const vars = Object.fromEntries(Object.entries(config.vars ?? {}).map(([k, v]) => [k, String(v)]));
  const list = resources(raw, env);
  const bindings = [...new Set(list.map((r) => r.binding))];
  const schemas = await loadSchemas();
  const catalog = secretSettings(schemas);
  const problems = [];
  const fail = (text) => {
    problems.push(text);
    console.log(`✗ ${text}`);
  };

  if (args.list) {
    const { missing, optional } = settingsProblems(schemas, { vars, secrets: [], bindings });
    const needed = missing.filter((m) => catalog.some((s) => s.name === m.name));
    console.log(`Secrets of ${config.workerName} ([env.${env}]), from the settings' schemas:`);
    for (const m of needed) console.log(`  required  ${m.name}: ${m.why}`);
    for (const s of optional) console.log(`  optional  ${s.name} (${s.where})`);
    console.log(`Set one with: npx wrangler secret put NAME --env ${env}`);
    return 0;
  }

  console.log(`deploy:check ${config.workerName} ([env.${env}] of ${configPath})`);

  // ---- The configuration ----
  const gaps = missingFromEnv(raw, env);
  for (const b of gaps.bindings)
    fail(
      `binding ${b.binding} (${b.key}) is declared at the top level but not in [env.${env}]: ` +
        "wrangler does not inherit it",
    );
  for (const v of gaps.vars)
    fail(`var ${v} is in the top-level [vars] but not in [env.${env}.vars]: vars are not inherited`);
  const others = [LOCAL, ...environmentNames(raw)];
  for (const s of sharedResources(raw, others).filter((x) => x.envs.some((u) => u.env === env)))
    fail(`${s.identity} is shared by ${s.envs.map((u) => `${u.env} (${u.binding})`).join(" and ")}`);
  for (const r of list) {
    if (r.provision === "d1" && !r.entry.database_id)
      fail(`D1 database ${r.binding} (${r.name}) has no database_id: run npm run provision -- --env ${env}`);
    if (r.provision === "kv" && !r.entry.id)
      fail(`KV namespace ${r.binding} has no id: run npm run provision -- --env ${env}`);
    if (!r.known) console.log(`! ${r.binding}: ${r.label}; check it by hand`);
  }
  if (!problems.length) console.log(`✓ configuration: ${list.length} bindings, none shared with another environment`);

  // ---- The secrets the Worker has ----
  const cmd = ["secret", "list", "--format", "json", "--env", env, ...(args.config ? ["--config", configPath] : [])];
  const res = wrangler(cmd);
  let secrets = [];
  if (res.code === 0) {
    const text = res.stdout;
    const start = text.search(/^\[/m);
    try {
      secrets = JSON.parse(start >= 0 ? text.slice(start) : text).map((s) => s.name);
    } catch {
      fail(`${shown(cmd)} did not print a JSON list:\n${tail(text)}`);
    }
  } else if (NO_WORKER.test(res.stderr + res.stdout)) {
    console.log(`! ${config.workerName} is not deployed yet, so it has no secrets: every secret below is missing`);
  } else {
    fail(
      `${shown(cmd)} failed (exit ${res.code}); is wrangler logged in (npx wrangler login, or ` +
        `CLOUDFLARE_API_TOKEN)?\n${tail(res.stderr + res.stdout)}`,
    );
  }
  console.log(`secrets set: ${secrets.length ? secrets.join(", ") : "none"}`);

  // ---- What the settings need ----
  const { missing, invalid, optional } = settingsProblems(schemas, { vars, secrets, bindings });
  for (const m of missing) {
    const what = catalog.some((s) => s.name === m.name) ? "secret" : "setting";
    fail(`missing ${what} ${m.name}: ${m.why}\n    → ${howToSet(m.name, env, catalog, bindings)}`);
  }
  for (const i of invalid) fail(`invalid var ${i.name}: ${i.why}`);
  const required = Object.keys(REQUIRED_SECRETS).filter((n) => secrets.includes(n));
  if (required.length === Object.keys(REQUIRED_SECRETS).length)
    console.log(`✓ required secrets: ${required.join(", ")}`);
  if (optional.length) console.log(`optional, not set: ${optional.map((s) => s.name).join(", ")}`);

  if (problems.length) {
    console.log(
      `\n${problems.length} problem${problems.length === 1 ? "" : "s"}: ${config.workerName} is not ready to deploy.`,
    );
    return 1;
  }
  console.log(`\n${config.workerName} is ready to deploy.`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`deploy:check: ${err.message}`);
  process.exitCode = 1;
}
