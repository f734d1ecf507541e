// Starts and stops a local Worker of its own for a bench (bench:faults, bench:turns, bench:gateway, bench:stream):
// - local workerd through wrangler's programmatic API (unstable_startWorker, run by bench/lib/start-worker.mjs)
//   with the DevTools inspector off: `wrangler dev` always attaches one, and every console.log line then
//   travels over the DevTools protocol (~3 ms per request for voice-edge locally; production has no inspector).
//   `inspector: true` runs `wrangler dev --inspector-port <free port>` instead (bench/profile.mjs);
// - a copy of the worker's source taken at the start (node_modules linked, not copied), so edits
//   made meanwhile do not rebuild and restart it halfway (a restart forgets breakers and warm isolates);
// - its settings from a generated env file only (the developer's .dev.vars is never read);
// - its state in a temporary persist directory (.wrangler/state is not touched), where the D1
//   migrations are applied first when the config has D1 (`migrate: true`);
// - a free port of 127.0.0.1;
// - its own process group, stopped as a whole by stop() (SIGTERM, then SIGKILL for any workerd or
//   esbuild child that outlived it), also on process exit as a last resort.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { treeCpuSeconds } from "./proc-cpu.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
/**
 * What the worker's snapshot copies from the repository root: the Worker, and the web console's
 * assets (public/) with what wrangler.toml's [build] needs to bundle its typed client (client/, scripts/).
 */
export const APP_ENTRIES = [
  "src",
  "migrations",
  "wrangler.toml",
  "package.json",
  "tsconfig.json",
  "public",
  "client",
  "scripts",
];

/** How the benches run the Worker, for their headers (bench/lib/machine.mjs). */
export const WORKER_RUNTIME =
  "local workerd via wrangler's unstable_startWorker, requests straight to the Worker's own server " +
  "(not wrangler's dev proxy, a second workerd forwarding every request), DevTools inspector off " +
  "(wrangler dev's always-attached inspector costs ~3 ms per console.log line locally), web console " +
  "assets off (locally an asset router Worker runs in front of every request, ~3-6 ms of CPU each; " +
  "production routes assets outside the Worker's CPU); production has none of the three";

/**
 * wrangler.toml's text without its [assets] table. With assets configured, local workerd puts
 * wrangler's asset router Worker in front of the app: every API request runs it first, which cost
 * 3-6 ms of CPU a request on the bench machine (about as much as the app's own turn), even with
 * run_worker_first. In production Cloudflare routes assets before the Worker runs, and that is not
 * the Worker's CPU; and no bench requests the web console.
 */
export function withoutAssets(toml) {
  return toml.replace(/^\[assets\]\n(?:(?!\[).*\n?)*/m, "");
}
/** The line bench/lib/start-worker.mjs prints when its Worker answers, followed by {"url"}. */
export const READY_PREFIX = "@@bench-worker-ready";
/** The line start-worker.mjs answers a stdin command with, followed by {"id", ...}. */
export const REPLY_PREFIX = "@@bench-worker-reply";
const START_WORKER = join(ROOT, "bench", "lib", "start-worker.mjs");

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

/** Runs node with `argv` in `cwd`, in its own process group; lines of its output go to onLine. */
function spawnGroup(cwd, argv, { timeoutMs, onLine, signal, keepStdin } = {}) {
  const child = spawn(process.execPath, argv, {
    cwd,
    detached: true, // own process group, so the whole tree can be stopped at once
    // keepStdin: a pipe the child reads, so it sees its end if we die without stopping it
    stdio: [keepStdin ? "pipe" : "ignore", "pipe", "pipe"],
    env: childEnv(),
  });
  started.add(child);
  child.once("exit", () => {
    if (!groupAlive(child)) started.delete(child);
  });
  child.stdin?.on("error", () => {}); // EPIPE once it is gone
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
    // A short-lived command (the migrations) also stops with the run; a Worker is stopped by stop().
    const onStop = () => killGroup(child, "SIGKILL");
    signal.addEventListener("abort", onStop, { once: true });
    child.once("exit", () => signal.removeEventListener("abort", onStop));
  }
  return child;
}

/** Runs wrangler with `args` in `cwd`, in its own process group; lines of its output go to onLine. */
export function runWrangler(cwd, args, options = {}) {
  return spawnGroup(cwd, [WRANGLER, ...args], options);
}

/**
 * Starts the Worker (WORKER_RUNTIME; with `inspector: true`, `wrangler dev` and its inspector) and waits until
 * `healthPath` answers 200.
 * @param {object} o
 * @param {string} o.label          for messages ("voice-edge", "baseline")
 * @param {string} [o.source]       directory to snapshot (default: the repository root)
 * @param {string[]} [o.entries]    what to copy from it (default APP_ENTRIES)
 * @param {string[]} o.vars         NAME=value lines of the generated env file
 * @param {boolean} [o.migrate]     apply the D1 migrations (binding DB) in the persist directory first
 * @param {boolean} [o.inspector]   run `wrangler dev --inspector-port <free port>` (DevTools attached) instead
 * @param {boolean} [o.assets]      keep wrangler.toml's [assets] (the web console); the benches leave them out
 *                                  (see withoutAssets)
 * @param {string} [o.healthPath]   default /healthz
 * @param {(line: string) => void} [o.onLine]  every line the Worker (and wrangler) prints
 * @param {AbortSignal} [o.signal]  abandons the start
 * @param {number} [o.readyTimeoutMs]
 * @returns {Promise<{
 *   base: string, port: number, inspectorPort?: number, tmp: string, persist: string,
 *   child: import("node:child_process").ChildProcess, logTail: string[], exited: () => boolean,
 *   stop: () => Promise<void>, cpuSeconds: () => number | null,
 *   queueBatch: (queue: string, messages: {id: string, body: unknown, attempts: number}[]) => Promise<object>
 * }>}
 */
export async function startDevServer(o) {
  const tmp = mkdtempSync(join(tmpdir(), `voice-edge-${o.label.replace(/\W+/g, "-")}-`));
  const app = join(tmp, "app");
  const persist = join(tmp, "state");
  const envFile = join(tmp, "bench.env");
  const what = o.inspector ? "wrangler dev" : "the Worker (bench/lib/start-worker.mjs)";
  const logTail = [];
  let ready; // {"url"} from start-worker.mjs's ready line
  const replies = new Map(); // command id → its resolve
  let commands = 0;
  const onLine = (line) => {
    if (!o.inspector && !ready && line.startsWith(READY_PREFIX)) {
      ready = JSON.parse(line.slice(READY_PREFIX.length));
      return;
    }
    if (line.startsWith(REPLY_PREFIX)) {
      const reply = JSON.parse(line.slice(REPLY_PREFIX.length));
      replies.get(reply.id)?.(reply);
      replies.delete(reply.id);
      return;
    }
    logTail.push(line);
    if (logTail.length > 60) logTail.shift();
    o.onLine?.(line);
  };
  let child;
  let stopping;
  const running = () => child && child.exitCode === null && child.signalCode === null;
  const stop = () => {
    stopping ??= (async () => {
      if (running()) {
        const exited = new Promise((res) => child.once("exit", res));
        // start-worker.mjs disposes its Worker (stops workerd) on SIGTERM; wrangler dev gets it as a group.
        if (o.inspector) killGroup(child, "SIGTERM");
        else child.kill("SIGTERM");
        await Promise.race([exited, sleep(5000)]);
      }
      killGroup(child, "SIGKILL"); // workerd and esbuild children, if any outlived their parent
      for (let i = 0; i < 30 && groupAlive(child); i++) await sleep(100);
      if (child) started.delete(child);
      rmSync(tmp, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    const source = o.source ?? ROOT;
    for (const entry of o.entries ?? APP_ENTRIES) cpSync(join(source, entry), join(app, entry), { recursive: true });
    if (!o.assets) {
      const toml = join(app, "wrangler.toml");
      writeFileSync(toml, withoutAssets(readFileSync(toml, "utf8")));
    }
    symlinkSync(join(ROOT, "node_modules"), join(app, "node_modules"), "dir");
    writeFileSync(envFile, [...o.vars, ""].join("\n"));

    if (o.migrate) {
      const migrate = runWrangler(
        app,
        ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "--env-file", envFile],
        { timeoutMs: 90_000, onLine, signal: o.signal },
      );
      const code = await new Promise((res) => migrate.once("exit", (c) => res(c)));
      if (code !== 0)
        throw new Error(
          `${o.label}: wrangler d1 migrations apply exited with ${code}; last lines:\n${logTail.slice(-10).join("\n")}`,
        );
    }

    const deadline = performance.now() + (o.readyTimeoutMs ?? 90_000);
    const check = () => {
      if (o.signal?.aborted) throw new Error(`${o.label}: stopped before ${what} was ready`);
      if (!running())
        throw new Error(
          `${o.label}: ${what} exited ` +
            `(${child.exitCode ?? child.signalCode}); last lines:\n${logTail.slice(-20).join("\n")}`,
        );
      if (performance.now() > deadline)
        throw new Error(
          `${o.label}: ${what} did not answer ${o.healthPath ?? "/healthz"} ` +
            `in time; last lines:\n${logTail.slice(-20).join("\n")}`,
        );
    };
    let port;
    let inspectorPort;
    if (o.inspector) {
      port = await freePort();
      inspectorPort = await freePort();
      child = runWrangler(
        app,
        [
          "dev",
          "--port",
          String(port),
          "--ip",
          "127.0.0.1",
          "--inspector-port",
          String(inspectorPort),
          "--persist-to",
          persist,
          "--env-file",
          envFile,
          "--show-interactive-dev-session=false",
        ],
        { onLine },
      );
    } else {
      child = spawnGroup(app, [START_WORKER, join(app, "wrangler.toml"), envFile, persist], {
        onLine,
        keepStdin: true,
      });
      while (!ready) {
        check();
        await sleep(100);
      }
      port = Number(new URL(ready.url).port);
    }
    const base = `http://127.0.0.1:${port}`;
    for (;;) {
      check();
      const ok = await fetch(base + (o.healthPath ?? "/healthz"), { signal: AbortSignal.timeout(3000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(o.inspector ? 500 : 100);
    }
    // CPU of the whole Worker (wrangler's Node process, workerd, esbuild), for a bench to divide by the requests it
    // answered.
    const cpuSeconds = () => treeCpuSeconds(child.pid);
    /** A batch for the Worker's queue() handler (not with `inspector`): its ack/retry result, or {error}. */
    const queueBatch = (queue, messages) =>
      new Promise((resolve) => {
        const id = ++commands;
        replies.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ id, queue, messages })}\n`);
      });
    return {
      base,
      port,
      queueBatch,
      ...(inspectorPort ? { inspectorPort } : {}),
      tmp,
      persist,
      child,
      logTail,
      exited: () => !running(),
      stop,
      cpuSeconds,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
