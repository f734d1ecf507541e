// Writes docs/configuration.md from the settings' zod schemas, the one source of truth:
//   - ConfigSchema (src/config/config.ts): every Worker setting, with its description in `.meta()`;
//   - each provider module's `settings` schema (src/providers/*/settings.ts), as PROVIDER_MODULES in
//     src/providers/registry.ts lists them, with the multi-region list setting each module declares;
//   - each language-model module's `settings` schema, as LLM_MODULES in src/providers/llm/registry.ts lists them.
// The prose around the tables is scripts/config-docs.template.md.
//
//   npm run docs:config              rewrite docs/configuration.md
//   npm run docs:config -- --check   exit 1 if docs/configuration.md is not what this would write (CI)
//
// The schemas are TypeScript inside the Worker's source: scripts/lib/settings.mjs bundles them for Node.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSchemas, SECRET_NAME } from "./lib/settings.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(root, "docs/configuration.md");
const TEMPLATE = join(root, "scripts/config-docs.template.md");
const check = process.argv.includes("--check");

// ---- Reading a zod 4 schema ------------------------------------------------------------------

const kind = (s) => s._zod.def.type;
/** A transform (z.preprocess's first half, or .transform()). */
const isTransform = (s) => kind(s) === "transform";
/** `z.unknown().transform(JSON.parse...)`: a JSON setting (src/config/vars.ts jsonVar). */
const isJsonParse = (s) => kind(s) === "pipe" && kind(s._zod.def.in) === "unknown" && isTransform(s._zod.def.out);

/** The text of an error param: a string, or a function of the issue (called with a minimal one). */
function messageOf(error, issue) {
  if (typeof error === "string") return error;
  if (typeof error !== "function") return undefined;
  try {
    const m = error(issue);
    return typeof m === "string" ? m : m?.message;
  } catch {
    return undefined;
  }
}

/**
 * Describes one setting's schema: what it accepts (type), its default, its bounds, whether it must be
 * set, the validation messages its checks carry, and the first description met on the way in.
 */
function describe(schema) {
  const d = { optional: false, messages: [], description: undefined, secret: false, json: false };
  const take = (s) => {
    const meta = typeof s.meta === "function" ? s.meta() : undefined;
    if (meta && d.description === undefined && meta.description) {
      d.description = meta.description;
      d.secret = meta.secret === true;
    }
  };
  const checks = [];
  let s = schema;
  for (;;) {
    take(s);
    const def = s._zod.def;
    checks.push(...(def.checks ?? [])); // .refine() on a wrapper (a default) checks the value inside
    if (def.type === "optional") {
      d.optional = true;
      s = def.innerType;
    } else if (def.type === "default") {
      d.default = typeof def.defaultValue === "function" ? def.defaultValue() : def.defaultValue;
      s = def.innerType;
    } else if (def.type === "pipe") {
      if (isJsonParse(def.in)) {
        d.json = true;
        s = def.out;
      } else if (isTransform(def.in)) {
        // z.preprocess: the transform may turn "unset" into a value (a blank counts as unset, a list split).
        d.preprocessed = true;
        s = def.out;
      } else if (isTransform(def.out)) s = def.in;
      else s = def.out;
    } else break;
  }
  d.base = s;
  const def = s._zod.def;
  const errorText = messageOf(def.error, { code: "invalid_type", input: undefined });
  if (errorText) d.messages.push(errorText);
  for (const c of [...(def.checks ?? []), ...checks]) {
    const m = messageOf(c._zod.def.error, { code: "custom", input: "" });
    if (m && !d.messages.includes(m)) d.messages.push(m);
  }
  switch (def.type) {
    case "number":
      d.type = s.isInt ? "integer" : "number";
      d.bounds = range(s.minValue, s.maxValue);
      break;
    case "string":
      d.type = s.format === "url" ? "URL" : "text";
      d.bounds = lengths(s.minLength, s.maxLength);
      break;
    case "enum":
      d.type = "one of " + Object.values(def.entries).map(code).join(", ");
      break;
    case "array":
      if (d.json) {
        d.type = `JSON array of ${shapeOf(def.element)}`;
        const max = s._zod.bag.maximum;
        if (max !== undefined) d.bounds = `at most ${max} entries`;
      } else d.type = "comma-separated list";
      break;
    case "custom":
      d.type = "binding";
      break;
    case "boolean":
      d.type = "boolean";
      break;
    default:
      d.type = def.type;
  }
  return d;
}

/** `{name, pattern}` / `{provider, region, lat?, ...}`: an object schema's fields, optional ones with `?`. */
function shapeOf(schema) {
  let s = schema;
  while (kind(s) === "pipe") s = s._zod.def.in; // .refine() on an object keeps its type; .transform() pipes
  const shape = s._zod.def.shape;
  if (!shape) return "objects";
  const keys = Object.entries(shape).map(([k, v]) => (kind(v) === "optional" ? `${k}?` : k));
  return `{${keys.join(", ")}}`;
}

const num = (n) => (Number.isFinite(n) ? String(n) : undefined);
function range(min, max) {
  const lo = num(min);
  const hi = num(max);
  if (lo && hi) return `${lo}–${hi}`;
  if (lo) return `≥ ${lo}`;
  if (hi) return `≤ ${hi}`;
  return "";
}
function lengths(min, max) {
  const lo = Number.isFinite(min) && min > 1 ? min : undefined; // 1: not empty, which any setting is
  const hi = Number.isFinite(max) ? max : undefined;
  if (lo !== undefined && hi !== undefined) return `${lo}–${hi} characters`;
  if (lo !== undefined) return `at least ${lo} characters`;
  if (hi !== undefined) return `at most ${hi} characters`;
  return "";
}

// ---- Markdown ----------------------------------------------------------------------------------

const code = (v) => "`" + String(v) + "`";
/** A table cell: one line, pipes escaped. */
const cell = (text) =>
  String(text ?? "")
    .replace(/\s+/g, " ")
    .replace(/\|/g, "\\|")
    .trim();

function defaultText(d) {
  if (d.default === undefined) return d.optional || d.preprocessed ? "unset" : "**required**";
  if (d.default === "") return "empty";
  if (Array.isArray(d.default)) return d.default.length ? code(JSON.stringify(d.default)) : "none";
  return code(d.default);
}

/** A validation message as a sentence: "must be X" is "Must be X."; "is missing: set it to Y" is "Set it to Y." */
function sentence(message) {
  let m = message.replace(/^is (missing|required|empty)(: | )?/, "");
  if (!m) return "";
  if (m.startsWith("(") && m.endsWith(")")) m = m.slice(1, -1);
  m = m[0].toUpperCase() + m.slice(1);
  return /[.!?]$/.test(m) ? m : `${m}.`;
}

/** A provider setting's validation messages as its description: sentences, none repeating another or the bounds. */
function fromMessages(d) {
  const said = d.messages.map(sentence).filter((m) => m && !/^Must be (at most|at least) \d+ characters\.$/.test(m));
  const stem = (m) => m.replace(/\.$/, "").toLowerCase();
  return [...new Set(said)]
    .filter((m, i, all) => !all.some((o, j) => j !== i && o.length > m.length && stem(o).startsWith(stem(m))))
    .join(" ");
}

function row(name, d, { secretByName = false } = {}) {
  const secret = d.secret || (secretByName && SECRET_NAME.test(name));
  const description = d.description ?? (fromMessages(d) || "—");
  return (
    `| ${code(name)}${secret ? " (secret)" : ""} | ${cell(d.type)} | ${cell(defaultText(d))} | ` +
    `${cell(d.bounds)} | ${cell(description)} |`
  );
}

const HEADER = "| setting | type | default | bounds | description |\n| --- | --- | --- | --- | --- |";

function configTable(ConfigSchema) {
  const rows = Object.entries(ConfigSchema.shape).map(([name, schema]) => {
    const d = describe(schema);
    if (!d.description) throw new Error(`src/config/config.ts: ${name} has no .meta({ description })`);
    return row(name, d);
  });
  return [HEADER, ...rows].join("\n");
}

function providerTables(modules) {
  const parts = [];
  for (const m of modules) {
    let s = m.settings;
    while (kind(s) === "pipe") s = s._zod.def.in; // .transform() / .superRefine() around the object
    const shape = s._zod.def.shape ?? {};
    const names = Object.keys(shape);
    const kinds = [m.stt && "speech-to-text", m.sttStream && "streaming speech-to-text", m.tts && "text-to-speech"];
    const what = kinds
      .filter(Boolean)
      .join(", ")
      .replace(/, ([^,]*)$/, " and $1");
    const needs = m.needs.replace(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g, (n) => code(n));
    parts.push(`### ${code(m.name)}\n\n${what[0].toUpperCase()}${what.slice(1)}. Needs ${needs}.`);
    if (!names.length && !m.regions) continue;
    // The module's multi-region list (ProviderModule.regions), in its schema or not.
    const list = m.regions && {
      type: "comma-separated list",
      optional: true,
      messages: [],
      description:
        `Several regions: one engine per entry, each validated as ${code(m.regions.single)} is and with its ` +
        `own circuit breaker; when set, it wins over ${code(m.regions.single)}.`,
    };
    const rows = names.map((name) => {
      const d = describe(shape[name]);
      if (name === m.regions?.list) return row(name, { ...d, ...list, description: d.description ?? list.description });
      // Until a provider's schema carries its own descriptions: what every adapter does with a *_TIMEOUT_MS.
      if (/_TIMEOUT_MS$/.test(name) && !d.description && !d.messages.length)
        d.description =
          "Time limit of one HTTP request to the provider, in ms; the stage's deadline may end it sooner.";
      return row(name, d, { secretByName: true });
    });
    if (list && !names.includes(m.regions.list)) rows.push(row(m.regions.list, list));
    parts.push([HEADER, ...rows].join("\n"));
  }
  return parts.join("\n\n");
}

/** The language-model modules: one table each, every setting its schema reads. */
function llmTables(modules) {
  return modules
    .map((m) => {
      let s = m.settings;
      while (kind(s) === "pipe") s = s._zod.def.in;
      const shape = s._zod.def.shape ?? {};
      const rows = Object.keys(shape).map((name) => row(name, describe(shape[name]), { secretByName: true }));
      const needs = m.needs.replace(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g, (n) => code(n));
      return `### ${code(m.name)}\n\n${m.title}. Needs ${needs}.\n\n${[HEADER, ...rows].join("\n")}`;
    })
    .join("\n\n");
}

function render({ ConfigSchema, PROVIDER_MODULES, LLM_MODULES }) {
  const template = readFileSync(TEMPLATE, "utf8");
  const filled = template
    .replace("<!-- settings -->", () => configTable(ConfigSchema))
    .replace("<!-- provider-settings -->", () => providerTables(PROVIDER_MODULES))
    .replace("<!-- llm-settings -->", () => llmTables(LLM_MODULES));
  const placeholders = ["<!-- settings -->", "<!-- provider-settings -->", "<!-- llm-settings -->"];
  if (placeholders.some((p) => filled.includes(p)))
    throw new Error(`${relative(root, TEMPLATE)}: a placeholder appears twice`);
  // Every setting wrangler.toml and .dev.vars.example name (set or commented out) must be on the page.
  const named = ["wrangler.toml", ".dev.vars.example"].flatMap((f) =>
    [...readFileSync(join(root, f), "utf8").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)\s*=/gm)].map((m) => m[1]),
  );
  const missing = [...new Set(named)].filter((n) => !filled.includes(code(n)));
  if (missing.length)
    throw new Error(
      `docs/configuration.md would not mention ${missing.join(", ")}, which wrangler.toml or .dev.vars.example ` +
        "name: describe it in its schema or in scripts/config-docs.template.md",
    );
  const banner =
    "<!-- Generated by `npm run docs:config` (scripts/config-docs.mjs) from the settings' zod schemas and\n" +
    "     scripts/config-docs.template.md. Do not edit: change the schema's .meta() or the template. -->\n\n";
  return banner + filled;
}

const schemas = await loadSchemas();
const page = render(schemas);

if (check) {
  let current = "";
  try {
    current = readFileSync(OUT, "utf8");
  } catch {
    // missing: stale
  }
  if (current !== page) {
    console.error(
      "docs/configuration.md is stale: it is not what the settings' schemas and scripts/config-docs.template.md " +
        "give. Run `npm run docs:config` and commit the result.",
    );
    process.exit(1);
  }
  console.log("docs/configuration.md is current");
} else {
  writeFileSync(OUT, page);
  console.log(`wrote ${relative(root, OUT)}`);
}
