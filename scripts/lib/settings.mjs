// The Worker's settings as the Node scripts see them, from the one place they are defined: the zod schemas in
// the source (ConfigSchema in src/config/config.ts, each speech provider's and each language-model provider's
// `settings`). scripts/config-docs.mjs writes docs/configuration.md from them; scripts/deploy-check.mjs asks
// them which secrets a deployment needs. A secret is a setting marked `secret` in its schema's .meta(), or a
// provider setting named like a credential (SECRET_NAME), exactly as docs/configuration.md marks it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ROOT } from "./wrangler-config.mjs";

/** Provider settings carry no `secret` mark: credentials are recognised by their names. */
export const SECRET_NAME = /(_KEY|_SECRET_ACCESS_KEY|_TOKEN|_JSON|_ACCESS_KEY_ID)$/;

/**
 * Secrets read by the code that uses them rather than by a schema (docs/configuration.md, "Settings read
 * elsewhere"), and what a deployment is without them.
 */
export const SECRETS_READ_ELSEWHERE = {
  ARCHIVE_KEYS:
    "the R2 encryption keys (keyId:base64 of 32 random bytes): without them nothing is archived or cached " +
    "and /readyz is unavailable",
};

/** Secrets every deployment needs, whatever its providers: without them it cannot be operated. */
export const REQUIRED_SECRETS = {
  ADMIN_TOKEN: "the operator token: without it no tenant key can be made, and the smoke test cannot run",
  ARCHIVE_KEYS: SECRETS_READ_ELSEWHERE.ARCHIVE_KEYS,
};

/** A setting that, when set, needs a secret to do anything (the schema allows either alone). */
export const SECRET_PAIRS = [
  { when: "TWILIO_TENANT_ID", needs: "TWILIO_AUTH_TOKEN", why: "the Twilio routes answer 503 without it" },
];

/** Imports ConfigSchema, PROVIDER_MODULES and LLM_MODULES from a temporary Node bundle of the source. */
export async function loadSchemas() {
  const dir = mkdtempSync(join(tmpdir(), "voice-edge-settings-"));
  try {
    const outfile = join(dir, "schemas.mjs");
    await build({
      stdin: {
        contents:
          'export { ConfigSchema } from "./src/config/config.ts";\n' +
          'export { PROVIDER_MODULES } from "./src/providers/registry.ts";\n' +
          'export { LLM_MODULES } from "./src/providers/llm/registry.ts";\n',
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      outfile,
      // Binary modules of the embedded speech engine are bundled empty: nothing here runs it.
      loader: { ".bin": "empty", ".wasm": "empty" },
      // CommonJS dependencies (the AWS SDK) require Node's built-in modules.
      banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
      // workerd's own modules do not exist in Node; nothing the schemas need comes from them.
      plugins: [
        {
          name: "stub-cloudflare",
          setup(b) {
            b.onResolve({ filter: /^cloudflare:/ }, (a) => ({ path: a.path, namespace: "stub" }));
            b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export default {};", loader: "js" }));
          },
        },
      ],
      logLevel: "error",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kind = (s) => s._zod.def.type;

/** The object schema inside .transform() / .superRefine() wrappers: its shape (setting name → schema). */
function shapeOf(schema) {
  let s = schema;
  while (kind(s) === "pipe") s = s._zod.def.in;
  return s._zod.def.shape ?? {};
}

/** Whether a setting's schema, or a wrapper around it, carries `.meta({ secret: true })`. */
function markedSecret(schema) {
  let s = schema;
  for (let i = 0; i < 10 && s; i++) {
    if (typeof s.meta === "function" && s.meta()?.secret === true) return true;
    const def = s._zod.def;
    s = def.innerType ?? (def.type === "pipe" ? def.out : undefined);
  }
  return false;
}

/**
 * Every secret setting: {name, where, description?}. `where` is "Worker" for ConfigSchema and the settings read
 * elsewhere, or "<kind> provider <name>" for a provider module's credentials.
 */
export function secretSettings({ ConfigSchema, PROVIDER_MODULES, LLM_MODULES }) {
  const out = [];
  const add = (name, where) => {
    if (!out.some((s) => s.name === name)) out.push({ name, where });
  };
  for (const [name, schema] of Object.entries(ConfigSchema.shape)) if (markedSecret(schema)) add(name, "Worker");
  for (const name of Object.keys(SECRETS_READ_ELSEWHERE)) add(name, "Worker");
  for (const [list, modules] of [
    ["speech", PROVIDER_MODULES],
    ["language-model", LLM_MODULES],
  ])
    for (const m of modules)
      for (const [name, schema] of Object.entries(shapeOf(m.settings)))
        if (markedSecret(schema) || SECRET_NAME.test(name)) add(name, `${list} provider ${m.name}`);
  return out;
}

/** A value standing in for a secret that is set (its value is never read): long and printable. */
const PRESENT = "set-as-a-secret-value-not-read-here-0123456789";

const list = (v) =>
  String(v ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/**
 * What an environment's settings lack, asked of the schemas themselves: its vars (from wrangler.toml), the
 * names of the secrets it has (values unknown) and of its bindings. Returns
 * - `missing`: [{name, why}] settings that must be set (a var or a secret) for the providers its chains name,
 *   the required secrets, and the secrets a set var pairs with;
 * - `invalid`: [{name, why}] vars whose value the Worker would refuse (every request a 500 configuration_error,
 *   or a provider's 503);
 * - `optional`: secret settings not set that nothing here requires (the Worker's, and its chains' providers').
 */
export function settingsProblems(schemas, { vars, secrets, bindings }) {
  const present = new Set([...Object.keys(vars), ...secrets, ...bindings]);
  const input = { ...Object.fromEntries(secrets.map((n) => [n, PRESENT])), ...vars };
  for (const b of bindings) input[b] ??= {};
  const missing = [];
  const invalid = [];
  const need = (name, why) => {
    if (!missing.some((m) => m.name === name)) missing.push({ name, why });
  };
  const judge = (issues, context) => {
    for (const issue of issues) {
      const name = String(issue.path?.[0] ?? "");
      if (!name) invalid.push({ name: context, why: issue.message });
      else if (!present.has(name)) need(name, `${context}: ${issue.message}`);
      else if (name in vars && !secrets.includes(name)) invalid.push({ name, why: `${context}: ${issue.message}` });
      // A set secret's value is unknown here: a complaint about the stand-in value says nothing.
    }
  };

  for (const [name, why] of Object.entries(REQUIRED_SECRETS)) if (!present.has(name)) need(name, why);
  for (const { when, needs, why } of SECRET_PAIRS)
    if (vars[when] && !present.has(needs)) need(needs, `${when} is set; ${why}`);

  const parsed = schemas.ConfigSchema.safeParse(input);
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const name = String(issue.path?.[0] ?? "");
      if (name in vars && !secrets.includes(name)) invalid.push({ name, why: issue.message });
    }

  const chains = [
    ["STT_PROVIDERS", schemas.PROVIDER_MODULES, (m) => m.stt],
    ["TTS_PROVIDERS", schemas.PROVIDER_MODULES, (m) => m.tts],
    ["LLM_PROVIDERS", schemas.LLM_MODULES, () => true],
  ];
  const checked = new Set();
  for (const [setting, modules, can] of chains) {
    const defaults = { TTS_PROVIDERS: "local" };
    for (const name of list(vars[setting] ?? defaults[setting])) {
      const m = modules.find((x) => x.name === name && can(x));
      if (!m) {
        const known = modules.filter(can).map((x) => x.name);
        invalid.push({ name: setting, why: `names '${name}', which is not one of ${known.join(", ")}` });
        continue;
      }
      const key = `${setting === "LLM_PROVIDERS" ? "language-model" : "speech"} provider ${m.name}`;
      if (checked.has(key)) continue;
      checked.add(key);
      const res = m.settings.safeParse(input);
      if (!res.success) judge(res.error.issues, `${setting} names '${m.name}'`);
    }
  }

  const all = secretSettings(schemas);
  // Optional: the Worker's own secrets, and those of the providers the chains name (another's are irrelevant).
  const optional = all.filter(
    (s) =>
      (s.where === "Worker" || checked.has(s.where)) && !present.has(s.name) && !missing.some((m) => m.name === s.name),
  );
  return { missing, invalid, optional };
}
