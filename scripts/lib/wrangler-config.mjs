// wrangler.toml as the deployment scripts read it (npm run provision, deploy:check, rollout, rollback and
// test/deploy/): parsed with a TOML parser (smol-toml), never with regular expressions, and resolved per
// environment the way wrangler resolves it. Bindings and [vars] are not inherited by an [env.<name>] table
// (wrangler warns and the binding is simply missing); name, limits, observability, triggers, [[migrations]]
// and the rest are, and a missing environment name falls back to "<top-level name>-<env>".
//
// Every binding an environment declares becomes a "resource": what kind of storage or service it is, the
// name that identifies it in the account (the D1 database, the bucket and its jurisdiction, the queue...),
// where its id goes in the file, and how to provision it. Kinds voice-edge does not know yet (a binding a
// later change adds) still show up, with their whole table as their identity, so the isolation check and
// the provisioning plan never silently skip one.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CONFIG_PATH = join(ROOT, "wrangler.toml");
/** The name the isolation check gives the top-level (local development) configuration. */
export const LOCAL = "(top level)";

/** Reads and parses a wrangler.toml. */
export function readConfig(path = CONFIG_PATH) {
  const text = readFileSync(path, "utf8");
  let raw;
  try {
    raw = parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid TOML: ${err.message}`, { cause: err });
  }
  return { path, text, raw };
}

/** The environments the file declares ([env.<name>]). */
export function environmentNames(raw) {
  return Object.keys(raw.env ?? {});
}

/** Keys an [env.<name>] table does not inherit (wrangler's notInheritable fields), bindings among them. */
const NOT_INHERITED = new Set([
  "vars",
  "define",
  "durable_objects",
  "workflows",
  "kv_namespaces",
  "cloudchamber",
  "containers",
  "send_email",
  "queues",
  "connect",
  "r2_buckets",
  "d1_databases",
  "vectorize",
  "ai_search_namespaces",
  "ai_search",
  "agent_memory",
  "hyperdrive",
  "services",
  "analytics_engine_datasets",
  "dispatch_namespaces",
  "mtls_certificates",
  "tail_consumers",
  "streaming_tail_consumers",
  "unsafe",
  "browser",
  "analytics",
  "ai",
  "images",
  "stream",
  "media",
  "pipelines",
  "secrets_store_secrets",
  "artifacts",
  "unsafe_hello_world",
  "flagship",
  "worker_loaders",
  "ratelimits",
  "vpc_services",
  "vpc_networks",
  "version_metadata",
  "logfwdr",
]);

/** Top-level keys that are neither bindings nor settings an environment can have ([env] itself). */
const NOT_SETTINGS = new Set(["env"]);

/**
 * The configuration wrangler deploys for `env` (undefined: the top level): the environment's own table,
 * with the inheritable keys taken from the top level where it does not set them.
 */
export function resolveEnv(raw, env) {
  if (env === undefined || env === LOCAL) {
    const { env: _envs, ...top } = raw;
    return { ...top, envName: LOCAL, workerName: raw.name };
  }
  const own = raw.env?.[env];
  if (!own)
    throw new Error(`wrangler.toml has no [env.${env}] (it has: ${environmentNames(raw).join(", ") || "none"})`);
  const resolved = {};
  for (const [key, value] of Object.entries(raw)) {
    if (NOT_SETTINGS.has(key) || NOT_INHERITED.has(key)) continue;
    resolved[key] = value;
  }
  Object.assign(resolved, own);
  const workerName = own.name ?? (raw.name ? `${raw.name}-${env}` : undefined);
  return { ...resolved, name: workerName, envName: env, workerName };
}

/** Keys of a resolved configuration that are bindings (wrangler's not-inherited keys, vars and define aside). */
export function bindingKeys(config) {
  return Object.keys(config).filter((k) => NOT_INHERITED.has(k) && k !== "vars" && k !== "define");
}

const asList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * What voice-edge knows of each kind of binding:
 * - `entries(value)`: the binding's entries, each {binding, entry, index} (index: its place in its array of tables);
 * - `identity(entry, config)`: the strings that name the resource in the account; two environments sharing
 *   one of them share storage (undefined parts, like an id not provisioned yet, are left out);
 * - `provision`: "d1" | "r2" | "queue" | "kv" (provision.mjs creates those), or a sentence saying why nothing
 *   is run for it.
 */
export const KINDS = {
  d1_databases: {
    label: "D1 database",
    table: "d1_databases",
    name: (e) => e.database_name,
    identity: (e) => [`d1:${e.database_name}`, e.database_id && `d1-id:${e.database_id}`],
    provision: "d1",
  },
  r2_buckets: {
    label: "R2 bucket",
    table: "r2_buckets",
    name: (e) => (e.jurisdiction ? `${e.bucket_name} (jurisdiction ${e.jurisdiction})` : e.bucket_name),
    identity: (e) => [`r2:${e.jurisdiction ?? "default"}:${e.bucket_name}`],
    provision: "r2",
  },
  kv_namespaces: {
    label: "KV namespace",
    table: "kv_namespaces",
    name: (e, config) => kvTitle(config, e),
    identity: (e, config) => [e.id && `kv:${e.id}`, `kv-title:${kvTitle(config, e)}`],
    provision: "kv",
  },
  queues: {
    label: "Queue",
    // producers and consumers: each queue a table names (dead-letter queues included) is a resource.
    entries: (value) => {
      const out = [];
      asList(value.producers).forEach((p, index) =>
        out.push({ binding: p.binding, entry: p, index, table: "queues.producers", queue: p.queue }),
      );
      asList(value.consumers).forEach((c, index) => {
        out.push({ binding: `(consumer ${index + 1})`, entry: c, index, table: "queues.consumers", queue: c.queue });
        if (c.dead_letter_queue)
          out.push({
            binding: `(dead-letter queue of consumer ${index + 1})`,
            entry: c,
            index,
            table: "queues.consumers",
            queue: c.dead_letter_queue,
          });
      });
      return out;
    },
    name: (_e, _c, item) => item.queue,
    identity: (_e, _c, item) => [`queue:${item.queue}`],
    provision: "queue",
  },
  analytics_engine_datasets: {
    label: "Analytics Engine dataset",
    table: "analytics_engine_datasets",
    name: (e) => e.dataset ?? e.binding,
    identity: (e) => [`analytics:${e.dataset ?? e.binding}`],
    provision: "nothing to create: an Analytics Engine dataset is created by its first write",
  },
  durable_objects: {
    label: "Durable Object namespace",
    entries: (value) =>
      asList(value.bindings).map((b, index) => ({
        binding: b.name,
        entry: b,
        index,
        table: "durable_objects.bindings",
      })),
    // A Durable Object namespace belongs to the Worker that defines the class: another environment's is another's.
    name: (e, config) => `${e.class_name} of ${e.script_name ?? config.workerName}`,
    identity: (e, config) => [`do:${e.script_name ?? config.workerName}:${e.class_name}`],
    provision: "nothing to create: `wrangler deploy` creates the namespace with the [[migrations]]",
  },
  ratelimits: {
    label: "Rate Limiting namespace",
    table: "ratelimits",
    entries: (value) => asList(value).map((r, index) => ({ binding: r.name, entry: r, index, table: "ratelimits" })),
    name: (e) => `namespace_id ${e.namespace_id}`,
    identity: (e) => [`ratelimit:${e.namespace_id}`],
    provision: "nothing to create: a Rate Limiting namespace is the namespace_id the configuration chooses",
  },
  unsafe: {
    label: "unsafe binding",
    entries: (value) =>
      asList(value.bindings).map((b, index) => ({ binding: b.name, entry: b, index, table: "unsafe.bindings" })),
    identity: (e) =>
      e.type === "ratelimit" ? [`ratelimit:${e.namespace_id}`] : [`unsafe:${JSON.stringify(withoutName(e))}`],
    provision: "nothing to create: a Rate Limiting namespace is the namespace_id the configuration chooses",
  },
  vectorize: {
    label: "Vectorize index",
    table: "vectorize",
    name: (e) => e.index_name,
    identity: (e) => [`vectorize:${e.index_name}`],
    provision: "not created by this script: `wrangler vectorize create <index_name> --dimensions <n> --metric <m>`",
  },
  hyperdrive: {
    label: "Hyperdrive configuration",
    table: "hyperdrive",
    identity: (e) => [e.id && `hyperdrive:${e.id}`],
    provision: "not created by this script: `wrangler hyperdrive create <name> --connection-string <url>`",
  },
  services: {
    label: "Service binding",
    table: "services",
    identity: () => [], // another Worker: calling the same one from two environments shares no storage
    provision: "nothing to create here: deploy the Worker it names first",
  },
  ai: { label: "Workers AI", identity: () => [], provision: "nothing to create: Workers AI needs no resource" },
  version_metadata: { label: "Version metadata", identity: () => [], provision: "nothing to create" },
  browser: { label: "Browser Run", identity: () => [], provision: "nothing to create" },
  images: { label: "Images", identity: () => [], provision: "nothing to create" },
};

/**
 * The title of a KV namespace: `kv namespace create` needs one and the configuration only holds the id, so the
 * scripts name it "<worker>-<binding>" (e.g. voice-edge-staging-CACHE), which is also how they find it again.
 */
export function kvTitle(config, entry) {
  return `${config.workerName}-${entry.binding}`;
}

function withoutName(entry) {
  const { binding: _b, name: _n, ...rest } = entry;
  return rest;
}

/** Entries of a binding key's value, for a kind without its own `entries`. */
function defaultEntries(key, value) {
  if (Array.isArray(value))
    return value.map((e, index) => ({
      binding: e.binding ?? e.name ?? `${key}[${index}]`,
      entry: e,
      index,
      table: key,
    }));
  if (value && typeof value === "object")
    return [{ binding: value.binding ?? value.name ?? key, entry: value, table: key }];
  return [];
}

/**
 * Every resource an environment's configuration declares: {key, kind, label, binding, entry, index, table,
 * identity[], provision, known}. `env` undefined or LOCAL: the top level.
 */
export function resources(raw, env) {
  const config = resolveEnv(raw, env);
  const out = [];
  for (const key of bindingKeys(config)) {
    const kind = KINDS[key];
    const value = config[key];
    const items = kind?.entries ? kind.entries(value) : defaultEntries(key, value);
    for (const item of items) {
      const identity = kind
        ? kind.identity(item.entry, config, item).filter(Boolean)
        : [`${key}:${JSON.stringify(withoutName(item.entry))}`];
      out.push({
        key,
        name: kind?.name?.(item.entry, config, item) ?? JSON.stringify(withoutName(item.entry)),
        kind: kind ? key : "unknown",
        label: kind?.label ?? `${key} (a kind of binding voice-edge's scripts do not know)`,
        ...item,
        identity,
        provision: kind?.provision ?? `not created by this script: voice-edge does not know how to provision ${key}`,
        known: Boolean(kind),
      });
    }
  }
  return out;
}

/**
 * Storage shared between environments: every identity two or more of `envs` (default: the top level and
 * every [env.*]) declare, as {identity, envs: [{env, binding, label}]}.
 */
export function sharedResources(raw, envs = [LOCAL, ...environmentNames(raw)]) {
  const seen = new Map();
  for (const env of envs)
    for (const r of resources(raw, env))
      for (const id of new Set(r.identity)) {
        const users = seen.get(id) ?? [];
        if (!users.some((u) => u.env === env)) users.push({ env, binding: r.binding, label: r.label });
        seen.set(id, users);
      }
  return [...seen.entries()]
    .filter(([, users]) => users.length > 1)
    .map(([identity, users]) => ({ identity, envs: users }));
}

/**
 * What an environment lacks of the top level's: binding names per key, and vars. Wrangler does not inherit
 * them, so a binding the top level has and an environment forgot is simply undefined in that Worker.
 */
export function missingFromEnv(raw, env) {
  const top = resources(raw, LOCAL);
  const mine = resources(raw, env);
  const has = new Set(mine.map((r) => `${r.key}:${r.binding}`));
  const bindings = top
    .filter((r) => !has.has(`${r.key}:${r.binding}`))
    .map((r) => ({ key: r.key, binding: r.binding }));
  const envVars = resolveEnv(raw, env).vars ?? {};
  const vars = Object.keys(raw.vars ?? {}).filter((name) => !(name in envVars));
  return { bindings: dedupe(bindings), vars };
}

function dedupe(list) {
  const seen = new Set();
  return list.filter((x) => {
    const k = `${x.key}:${x.binding}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---- Writing an id back -------------------------------------------------------------------------

const tomlString = (s) => JSON.stringify(s); // a TOML basic string is a JSON string for ids and names

/** The header line of an array of tables, e.g. [[env.staging.d1_databases]] (spaces and a comment allowed). */
function headerPattern(path) {
  const dotted = path.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s*\\.\\s*");
  return new RegExp(`^\\s*\\[\\[\\s*${dotted}\\s*\\]\\]\\s*(#.*)?$`);
}

/**
 * `text` with `key = "value"` set in the `index`-th [[<tablePath>]] table (replaced, or added after the table's
 * last key). The edit is checked by parsing the result: it must hold the new value there and be otherwise the
 * same document. A table written another way (an inline array) cannot be edited here: the error says what to
 * write by hand.
 */
export function setInTableArray(text, tablePath, index, key, value) {
  const before = parse(text);
  const lines = text.split("\n");
  const header = headerPattern(tablePath);
  let seen = -1;
  let start = -1;
  for (let i = 0; i < lines.length; i++)
    if (header.test(lines[i]) && ++seen === index) {
      start = i;
      break;
    }
  const where = `[[${tablePath.join(".")}]] #${index + 1}`;
  if (start < 0)
    throw new Error(`wrangler.toml: no ${where} table to write ${key} into; add ${key} = ${tomlString(value)} by hand`);
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++)
    if (/^\s*\[/.test(lines[i])) {
      end = i;
      break;
    }
  const keyLine = new RegExp(`^(\\s*${key}\\s*=\\s*)("[^"]*"|'[^']*')(\\s*(#.*)?)$`);
  let done = false;
  let lastKey = start;
  for (let i = start + 1; i < end; i++) {
    const m = keyLine.exec(lines[i]);
    if (m) {
      lines[i] = `${m[1]}${tomlString(value)}${m[3]}`;
      done = true;
      break;
    }
    if (/^\s*[A-Za-z0-9_-]+\s*=/.test(lines[i])) lastKey = i;
  }
  if (!done) lines.splice(lastKey + 1, 0, `${key} = ${tomlString(value)}`);
  const out = lines.join("\n");
  const after = parse(out);
  const expected = structuredClone(before);
  const target = tablePath.reduce((o, p) => o?.[p], expected)?.[index];
  if (!target) throw new Error(`wrangler.toml: ${where} is not an array of tables`);
  target[key] = value;
  if (JSON.stringify(after) !== JSON.stringify(expected))
    throw new Error(`wrangler.toml: writing ${key} into ${where} would change more than that value; write it by hand`);
  return out;
}
