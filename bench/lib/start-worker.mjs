// Runs one Worker for a bench in local workerd through wrangler's programmatic API
// (unstable_startWorker), with the DevTools inspector off. `wrangler dev` always attaches the
// inspector, and every console.log line then travels over the DevTools protocol: milliseconds per
// line locally, a cost production Workers do not have. Started by bench/lib/dev-server.mjs, in the
// Worker's snapshot directory and in its own process group (workerd's processes are its children):
//   node start-worker.mjs <wrangler.toml> <env file> <persist dir>
// - the settings come from <env file> only (envFiles; the developer's .dev.vars is never read);
// - the state goes to <persist dir> (the meaning of `wrangler dev --persist-to`);
// - 127.0.0.1 on a free port (port 0); no file watching (watch: false), so nothing rebuilds it;
// - the URL it reports is the Worker's own local server, not wrangler's dev proxy (see below);
// - every line the Worker logs (console.*) goes to stdout as is, like `wrangler dev` prints it;
//   wrangler's own messages only from level "warn" up (not its per-request "[wrangler:info] POST ..." lines);
// - when it answers, one line `READY_PREFIX {"url": "http://127.0.0.1:port"}`;
// - a restart of the Worker (none is expected; faults.mjs counts them) prints "[start-worker] reloading local server";
// - SIGTERM, SIGINT or the end of stdin (the parent gone): dispose (workerd stopped) and exit;
// - a line on stdin `{"id", "queue", "messages": [{"id", "body", "attempts"}]}` hands those messages to
//   the Worker's queue() handler as one batch of that queue (Miniflare's dispatch, as Queues would
//   deliver them; bench/events.mjs), answered by a line `REPLY_PREFIX {"id", "outcome", ...}`.
import { createInterface } from "node:readline";
import { unstable_startWorker } from "wrangler";
import { READY_PREFIX, REPLY_PREFIX } from "./dev-server.mjs";

const [config, envFile, persist] = process.argv.slice(2);

let worker;
let quitting;
function quit(code) {
  quitting ??= (async () => {
    const forced = setTimeout(() => process.exit(code || 1), 5000);
    try {
      await worker?.dispose();
    } catch (err) {
      console.error(`[start-worker] dispose failed: ${err?.message ?? err}`);
    }
    clearTimeout(forced);
    process.exit(code);
  })();
  return quitting;
}

for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => void quit(0));
process.stdin.on("end", () => void quit(0));
createInterface({ input: process.stdin }).on("line", (line) => void command(line));

let target;
/** The Worker in its own Miniflare (wrangler's Worker.queue() asks the dev proxy's, which does not hold it). */
function queueTarget() {
  target ??= worker.raw.runtimes.find((r) => r.mf).mf.getWorker(worker.config.name);
  return target;
}

/** One stdin command: a batch for the Worker's queue() handler. */
async function command(line) {
  let id;
  try {
    const cmd = JSON.parse(line);
    id = cmd.id;
    await worker.ready;
    const messages = cmd.messages.map((m) => ({ ...m, timestamp: new Date(m.timestamp ?? Date.now()) }));
    const result = await (await queueTarget()).queue(cmd.queue, messages);
    console.log(`${REPLY_PREFIX} ${JSON.stringify({ id, ...result })}`);
  } catch (err) {
    console.log(`${REPLY_PREFIX} ${JSON.stringify({ id, error: String(err?.message ?? err) })}`);
  }
}
process.on("unhandledRejection", (err) => {
  console.error(`[start-worker] ${err?.stack ?? err}`);
  void quit(1);
});
if (!config || !envFile || !persist) {
  console.error("usage: node start-worker.mjs <wrangler.toml> <env file> <persist dir>");
  process.exit(2);
}
try {
  worker = await unstable_startWorker({
    config,
    envFiles: [envFile],
    dev: {
      inspector: false,
      server: { hostname: "127.0.0.1", port: 0 },
      persist,
      watch: false,
      logLevel: "warn",
      structuredLogsHandler: ({ message }) => {
        process.stdout.write(message.endsWith("\n") ? message : `${message}\n`);
      },
    },
  });
  // The first reloadComplete is the Worker's start (its bundle loaded into workerd), any later one a restart.
  let loads = 0;
  let loaded;
  const firstLoad = new Promise((res) => (loaded = res));
  worker.raw.on("reloadComplete", (event) => {
    if (loads++ === 0) loaded(event.proxyData.userWorkerUrl);
    else console.log("[start-worker] reloading local server (the Worker restarted)");
  });
  // The Worker's own local server, not wrangler's dev proxy in front of it (worker.url): the proxy is
  // a second workerd process whose Durable Object queues and forwards every request, for live
  // reload; production has no such hop. (Measured: the bare baseline's turn, 6 ms p50 through the
  // proxy at one connection, 3 ms direct.) Both Workers of a bench are reached the same way.
  const [, direct] = await Promise.all([worker.ready, firstLoad]);
  const url = new URL(`${direct.protocol}//${direct.hostname}:${direct.port}`);
  console.log(`${READY_PREFIX} ${JSON.stringify({ url: url.origin })}`);
} catch (err) {
  console.error(`[start-worker] the Worker did not start: ${err?.stack ?? err}`);
  await quit(1);
}
