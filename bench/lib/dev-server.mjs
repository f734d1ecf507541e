// Starts and stops a `wrangler dev` of its own for a bench (bench:faults, bench:turns, bench:gateway):
// - a copy of the worker's source taken at the start (node_modules linked, not copied), so edits
//   made meanwhile do not rebuild and restart it halfway (a restart forgets breakers and warm isolates);
// - its settings from a generated --env-file only (the developer's .dev.vars is never read);
// - its state in a temporary --persist-to directory (.wrangler/state is not touched), where the D1
//   migrations are applied first when the config has D1 (`migrate: true`);
// - a free port of 127.0.0.1 and a free inspector port;
// - its own process group, stopped as a whole by stop() (SIGTERM, then SIGKILL for any workerd or
//   esbuild child that outlived wrangler), also on process exit as a last resort.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
/**
 * What the worker's snapshot copies from the repository root: the Worker, and the web console's
 * assets (public/) with what wrangler.toml's [build] needs to bundle its typed client (client/, scripts/).
 */
export const APP_ENTRIES = ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json", "public", "client", "scripts"];

export const sleep = (ms, signal) =>
  new Promise((res) => {
    const t = setTimeout(res, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), res()), { once: true });
  });

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export function killGroup(child, signal) {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function groupAlive(child) {
  if (!child?.pid) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childEnv() {
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" };
  delete env.CLOUDFLARE_INCLUDE_PROCESS_ENV; // settings come from our --env-file only
  return env;
}

// Last resort if the process exits without stopping its servers (an uncaught throw): never leave workerd running.
const started = new Set();
process.on("exit", () => {
  for (const child of started) killGroup(child, "SIGKILL");
});

/** Runs wrangler with `args` in `cwd`, in its own process group; lines of its output go to onLine. */
export function runWrangler(cwd, args, { timeoutMs, onLine, signal } = {}) {
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd,
    detached: true, // own process group, so the whole tree can be stopped at once
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(),
  });
  started.add(child);
  child.once("exit", () => {
    if (!groupAlive(child)) started.delete(child);
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      buf += chunk;
      const lines = buf.split("\n");
      buf = lines.pop();
      for (const line of lines) onLine?.(line.replace(/\x1b\[[0-9;]*m/g, "")); // eslint-disable-line no-control-regex
    });
  }
  if (timeoutMs) {
    const t = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
    child.once("exit", () => clearTimeout(t));
  }
  if (signal) {
    // A short-lived command (the migrations) also stops with the run; `wrangler dev` is stopped by stop().
    const onStop = () => killGroup(child, "SIGKILL");
    signal.addEventListener("abort", onStop, { once: true });
    child.once("exit", () => signal.removeEventListener("abort", onStop));
  }
  return child;
}

/**
 * Starts `wrangler dev` and waits until `healthPath` answers 200.
 * @param {object} o
 * @param {string} o.label          for messages ("voice-edge", "baseline")
 * @param {string} [o.source]       directory to snapshot (default: the repository root)
 * @param {string[]} [o.entries]    what to copy from it (default APP_ENTRIES)
 * @param {string[]} o.vars         NAME=value lines of the generated --env-file
 * @param {boolean} [o.migrate]     apply the D1 migrations (binding DB) in the persist directory first
 * @param {string} [o.healthPath]   default /healthz
 * @param {(line: string) => void} [o.onLine]  every line wrangler prints
 * @param {AbortSignal} [o.signal]  abandons the start
 * @param {number} [o.readyTimeoutMs]
 * @returns {Promise<{base: string, port: number, tmp: string, persist: string, child: import("node:child_process").ChildProcess, logTail: string[], exited: () => boolean, stop: () => Promise<void>}>}
 */
export async function startDevServer(o) {
  const tmp = mkdtempSync(join(tmpdir(), `voice-edge-${o.label.replace(/\W+/g, "-")}-`));
  const app = join(tmp, "app");
  const persist = join(tmp, "state");
  const envFile = join(tmp, "bench.env");
  const logTail = [];
  const onLine = (line) => {
    logTail.push(line);
    if (logTail.length > 60) logTail.shift();
    o.onLine?.(line);
  };
  let child;
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((res) => child.once("exit", res));
        killGroup(child, "SIGTERM");
        await Promise.race([exited, sleep(5000)]);
      }
      killGroup(child, "SIGKILL"); // workerd and esbuild children, if any outlived wrangler
      for (let i = 0; i < 30 && groupAlive(child); i++) await sleep(100);
      if (child) started.delete(child);
      rmSync(tmp, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    const source = o.source ?? ROOT;
    for (const entry of o.entries ?? APP_ENTRIES) cpSync(join(source, entry), join(app, entry), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(app, "node_modules"), "dir");
    writeFileSync(envFile, [...o.vars, ""].join("\n"));

    if (o.migrate) {
      const migrate = runWrangler(app, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "--env-file", envFile], { timeoutMs: 90_000, onLine, signal: o.signal });
      const code = await new Promise((res) => migrate.once("exit", (c) => res(c)));
      if (code !== 0) throw new Error(`${o.label}: wrangler d1 migrations apply exited with ${code}; last lines:\n${logTail.slice(-10).join("\n")}`);
    }

    const port = await freePort();
    const inspectorPort = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = runWrangler(
      app,
      ["dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--persist-to", persist, "--env-file", envFile, "--show-interactive-dev-session=false"],
      { onLine },
    );
    const deadline = performance.now() + (o.readyTimeoutMs ?? 90_000);
    for (;;) {
      if (o.signal?.aborted) throw new Error(`${o.label}: stopped before wrangler dev was ready`);
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${o.label}: wrangler dev exited (${child.exitCode ?? child.signalCode}); last lines:\n${logTail.slice(-20).join("\n")}`);
      const ok = await fetch(base + (o.healthPath ?? "/healthz"), { signal: AbortSignal.timeout(3000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (performance.now() > deadline) throw new Error(`${o.label}: wrangler dev did not answer ${o.healthPath ?? "/healthz"} in time; last lines:\n${logTail.slice(-20).join("\n")}`);
      await sleep(500);
    }
    return { base, port, tmp, persist, child, logTail, exited: () => child.exitCode !== null || child.signalCode !== null, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
