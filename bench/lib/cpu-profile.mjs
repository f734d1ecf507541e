// The CPU profile of a bench's Worker, for whoever tunes it (bench:profile, bench:stream --profile):
// V8's sampling profiler over the DevTools protocol of a Worker started with `inspector: true`
// (bench/lib/dev-server.mjs), from a snapshot of the source whose log() prints nothing (through the
// inspector each line costs milliseconds locally and would swamp the profile; production has no
// inspector). The profiler slows the Worker: its figures are shares of CPU, not latencies.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { APP_ENTRIES, ROOT } from "./dev-server.mjs";

/** A copy of the source whose log() computes its line but prints nothing. */
export function quietSource() {
  const dir = mkdtempSync(join(tmpdir(), "voice-edge-profile-src-"));
  for (const entry of APP_ENTRIES) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  const file = join(dir, "src", "observability", "log.ts");
  const quiet = readFileSync(file, "utf8").replace(
    /if \(level === "error"\)[\s\S]*?else console\.log\(text\);/,
    "void text;",
  );
  if (!quiet.includes("void text;"))
    throw new Error("src/observability/log.ts changed: update quietSource() in bench/lib/cpu-profile.mjs");
  writeFileSync(file, quiet);
  return dir;
}

/** A DevTools protocol session with the Worker's isolate. */
async function devtools(inspectorPort) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { origin: `http://127.0.0.1:${inspectorPort}` });
  await new Promise((res, rej) => {
    ws.once("open", res);
    ws.once("error", rej);
  });
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  const send = (method, params = {}) =>
    new Promise((res) => (pending.set(++id, res), ws.send(JSON.stringify({ id, method, params }))));
  return { send, close: () => ws.close() };
}

/** Self and inclusive time per function (name, file, line), in ms. */
export function summarize(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) =>
    `${n.callFrame.functionName || "(anonymous)"} ` +
    `${n.callFrame.url.split("/").pop() || ""}:${n.callFrame.lineNumber + 1}`;
  const self = new Map();
  const inclusive = new Map();
  profile.samples.forEach((nodeId, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const key = label(nodes.get(nodeId));
    self.set(key, (self.get(key) ?? 0) + us / 1000);
    const seen = new Set();
    for (let cur = nodeId; cur !== undefined; cur = parent.get(cur)) {
      const k = label(nodes.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us / 1000);
    }
  });
  return { self, inclusive };
}

/** Starts V8's sampling profiler in the Worker's isolate; stop() returns the profile. */
export async function startProfile(inspectorPort, intervalUs = 200) {
  const session = await devtools(inspectorPort);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.send("Profiler.start");
  return {
    stop: async () => {
      const { result } = await session.send("Profiler.stop");
      session.close();
      return result.profile;
    },
  };
}

/**
 * Writes the profile to profiles/<name>.cpuprofile (open it in Chrome DevTools) and prints the functions with
 * the most self and inclusive time, in ms per `per` (a request, a turn) as `unit` says.
 */
export function printProfile(profile, name, per, unit) {
  const dir = join(ROOT, "profiles");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`profile written to ${file}`);
  const { self, inclusive } = summarize(profile);
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`\nself time (ms per ${unit})`);
  for (const [k, ms] of top(self, 25)) console.log(`${(ms / per).toFixed(3).padStart(9)}  ${k}`);
  console.log(`\ninclusive time (ms per ${unit})`);
  for (const [k, ms] of top(inclusive, 40)) console.log(`${(ms / per).toFixed(3).padStart(9)}  ${k}`);
}
