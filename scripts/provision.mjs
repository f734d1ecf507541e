#!/usr/bin/env node
// Creates what an environment's bindings need and the account lacks, and writes the new ids into wrangler.toml:
//
//   npm run provision -- --env staging              D1 databases, R2 buckets (jurisdictions included), queues
//                                                   (dead-letter queues included) and KV namespaces; then the D1
//                                                   migrations, applied remotely
//   npm run provision -- --env staging --dry-run    prints the wrangler commands it would run, runs none
//
// Safe to run again: each resource is looked up first (wrangler's JSON output where it has one) and only a
// missing one is created; an id already in wrangler.toml is left alone unless the account says otherwise.
// The list of resources is read from the configuration (scripts/lib/wrangler-config.mjs), so a binding added
// to [env.<name>] is provisioned without changing this script; one it cannot create (a Vectorize index needs
// its dimensions) is named with the command to run by hand. Needs `wrangler login` or CLOUDFLARE_API_TOKEN
// (and CLOUDFLARE_ACCOUNT_ID when the token sees several accounts). docs/deploying.md walks through it.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { kvTitle, readConfig, resolveEnv, resources, setInTableArray } from "./lib/wrangler-config.mjs";
import { commandArgs, shown, tail, wrangler, wranglerJson } from "./lib/wrangler-run.mjs";

const USAGE = "usage: npm run provision -- --env <staging|production> [--dry-run] [--config wrangler.toml]";

/** A failed lookup that means "there is none" (as opposed to an authentication or network failure). */
const MISSING = /does not exist|not found|no such|\[code: 10006\]|\[code: 11000\]/i;

/** The check and create commands of one resource, and the id it writes back (D1, KV). */
function plan(r, env) {
  const e = r.entry;
  switch (r.provision) {
    case "d1":
      return {
        check: ["d1", "list", "--json"],
        create: ["d1", "create", e.database_name],
        id: { key: "database_id", current: e.database_id, table: ["env", env, "d1_databases"] },
      };
    case "r2": {
      const j = e.jurisdiction ? ["--jurisdiction", e.jurisdiction] : [];
      return {
        check: ["r2", "bucket", "info", e.bucket_name, ...j, "--json"],
        create: ["r2", "bucket", "create", e.bucket_name, ...j],
      };
    }
    case "queue":
      return { check: ["queues", "info", r.name], create: ["queues", "create", r.name] };
    case "kv":
      return {
        check: ["kv", "namespace", "list"],
        create: ["kv", "namespace", "create", r.name],
        id: { key: "id", current: e.id, table: ["env", env, "kv_namespaces"] },
      };
    default:
      return undefined;
  }
}

function main() {
  const envHint = ": the top-level configuration is the local one (npm run dev)";
  const args = commandArgs(process.argv.slice(2), { flags: ["dry-run"], usage: USAGE, envHint });
  if (!args) return 2;
  const env = args.env;
  const configPath = resolve(args.config ?? "wrangler.toml");
  const dryRun = Boolean(args["dry-run"]);
  const { raw } = readConfig(configPath);
  let config;
  try {
    config = resolveEnv(raw, env);
  } catch (err) {
    console.error(err.message);
    return 2;
  }
  const cfg = ["--env", env, ...(args.config ? ["--config", configPath] : [])];
  const all = resources(raw, env);
  // A queue named by a producer and a consumer, or a consumer and another's dead-letter queue, is one queue.
  const seen = new Set();
  const list = all.filter((r) => {
    if (r.provision !== "queue") return true;
    if (seen.has(r.name)) return false;
    seen.add(r.name);
    return true;
  });

  console.log(`${dryRun ? "Would provision" : "Provisioning"} ${config.workerName} ([env.${env}] of ${configPath})`);
  const manual = [];
  const ids = []; // {table, index, key, value, binding}
  const cache = new Map(); // listing command → parsed JSON
  const listed = (check) => {
    const k = check.join(" ");
    if (!cache.has(k)) cache.set(k, wranglerJson([...check, ...cfg]));
    return cache.get(k);
  };

  for (const r of list) {
    const p = plan(r, env);
    const head = `# ${r.binding}: ${r.label} ${r.name}`;
    if (!p) {
      console.log(`${head}: ${r.provision}`);
      if (!r.known || r.provision.startsWith("not created")) manual.push(r);
      continue;
    }
    const check = [...p.check, ...cfg];
    const create = [...p.create, ...cfg];
    if (dryRun) {
      console.log(head);
      console.log(`$ ${shown(check)}`);
      console.log(`$ ${shown(create)}    # only if the lookup finds none`);
      if (p.id) console.log(`#   its id is written to [[${p.id.table.join(".")}]] ${p.id.key} in ${configPath}`);
      continue;
    }
    let exists;
    let id;
    if (r.provision === "d1" || r.provision === "kv") {
      const find = () =>
        r.provision === "d1"
          ? listed(p.check).find((d) => d.name === r.entry.database_name)?.uuid
          : listed(p.check).find((n) => n.title === kvTitle(config, r.entry))?.id;
      id = find();
      exists = Boolean(id);
      if (!exists) {
        runOrThrow(create);
        cache.clear();
        id = find();
        if (!id) throw new Error(`${shown(create)} succeeded but ${shown(check)} does not list it`);
      }
    } else {
      const res = wrangler(check);
      if (res.code === 0) exists = true;
      else if (MISSING.test(res.stderr + res.stdout)) exists = false;
      else throw new Error(`${shown(check)} failed (exit ${res.code}):\n${tail(res.stderr + res.stdout)}`);
      if (!exists) runOrThrow(create);
    }
    console.log(`${head}: ${exists ? "exists" : "created"}${id ? ` (id ${id})` : ""}`);
    if (p.id && id && p.id.current !== id)
      ids.push({ table: p.id.table, index: r.index, key: p.id.key, value: id, binding: r.binding });
  }

  // The ids, into wrangler.toml (each edit checked by re-parsing the file).
  if (ids.length) {
    let text = readConfig(configPath).text;
    for (const w of ids) text = setInTableArray(text, w.table, w.index, w.key, w.value);
    writeFileSync(configPath, text);
    for (const w of ids) console.log(`wrote ${w.key} = "${w.value}" for ${w.binding} into ${configPath}`);
  }

  // D1 migrations, remotely, for every D1 database of the environment that has a migrations_dir.
  for (const r of list.filter((x) => x.provision === "d1" && x.entry.migrations_dir)) {
    const migrate = ["d1", "migrations", "apply", r.binding, "--remote", ...cfg];
    if (dryRun) {
      console.log(`# ${r.binding}: the D1 migrations in ${r.entry.migrations_dir}/, applied remotely`);
      console.log(`$ ${shown(migrate)}`);
      continue;
    }
    console.log(`$ ${shown(migrate)}`);
    const res = wrangler(migrate, { inherit: true });
    if (res.code !== 0) throw new Error(`${shown(migrate)} failed (exit ${res.code})`);
  }

  if (manual.length)
    console.log(
      `\nNot created by this script (create them by hand, then run it again): ` +
        manual.map((r) => `${r.binding} (${r.label})`).join(", "),
    );
  console.log(
    dryRun
      ? "\n--dry-run: nothing was run or written."
      : `\nDone. Next: the secrets (npm run deploy:check -- --env ${env}), then npx wrangler deploy --env ${env}.`,
  );
  return 0;
}

function runOrThrow(args) {
  console.log(`$ ${shown(args)}`);
  const res = wrangler(args);
  if (res.code !== 0) throw new Error(`${shown(args)} failed (exit ${res.code}):\n${tail(res.stderr + res.stdout)}`);
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`provision: ${err.message}`);
  process.exitCode = 1;
}
