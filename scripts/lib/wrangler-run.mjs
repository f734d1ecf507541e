// Runs wrangler for the deployment scripts: the project's own (node_modules/wrangler), with the Node that runs
// the script, its telemetry off. VOICE_EDGE_WRANGLER names another program to run instead (a Node script run
// the same way): test/deploy/ stubs wrangler with it, since there is no Cloudflare account in CI.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./wrangler-config.mjs";

export const WRANGLER_JS = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** How a command is shown: the way a person would type it. */
export function shown(args) {
  return ["wrangler", ...args].map((a) => (/^[\w@%./:=,-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

/**
 * Runs `wrangler <args>` and returns {code, stdout, stderr}. `inherit: true` lets its output through (for the
 * commands a person wants to watch, e.g. migrations) and captures nothing.
 */
export function wrangler(args, { inherit = false, cwd = ROOT } = {}) {
  const program = process.env.VOICE_EDGE_WRANGLER || WRANGLER_JS;
  const res = spawnSync(process.execPath, [program, ...args], {
    cwd,
    encoding: "utf8",
    stdio: inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw new Error(`could not run ${shown(args)}: ${res.error.message}`, { cause: res.error });
  return { code: res.status ?? 1, stdout: res.stdout ?? "", stderr: res.stderr ?? "" };
}

/** `wrangler <args>`'s standard output parsed as JSON; a failure or non-JSON output throws with what it said. */
export function wranglerJson(args) {
  const res = wrangler(args);
  if (res.code !== 0) throw new WranglerError(args, res);
  // wrangler may print a banner or warnings before the JSON: take from the first line that opens it.
  const text = res.stdout;
  const start = text.search(/^[[{]/m);
  try {
    return JSON.parse(start >= 0 ? text.slice(start) : text);
  } catch {
    throw new Error(`${shown(args)} did not print JSON:\n${tail(text + res.stderr)}`);
  }
}

export class WranglerError extends Error {
  constructor(args, res) {
    super(`${shown(args)} failed (exit ${res.code}):\n${tail(res.stderr + res.stdout)}`);
    this.res = res;
  }
}

/** The last lines of a command's output, for an error message. */
export function tail(text, lines = 15) {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** Parses `--name value` / `--name=value` / `--flag` arguments; positional ones go to `_`. */
/**
 * A deploy command's arguments (parseArgs) with --env required; null, after printing what is wrong
 * and the command's usage, when they cannot be used (the command then exits 2).
 */
export function commandArgs(argv, { flags = [], usage, envHint = "" }) {
  let args;
  try {
    args = parseArgs(argv, { flags });
  } catch (err) {
    console.error(`${err.message}\n${usage}`);
    return null;
  }
  if (!args.env) {
    console.error(`--env is required${envHint}\n${usage}`);
    return null;
  }
  return args;
}

export function parseArgs(argv, { flags = [] } = {}) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      out._.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (eq >= 0) out[name] = a.slice(eq + 1);
    else if (flags.includes(name)) out[name] = true;
    else if (i + 1 < argv.length) out[name] = argv[++i];
    else throw new Error(`--${name} needs a value`);
  }
  return out;
}
