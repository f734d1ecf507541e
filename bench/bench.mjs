#!/usr/bin/env node
// `npm run bench`: turn overhead (bench/turns.mjs), gateway overhead (bench/gateway.mjs) and the scale
// model (bench/cost-model.mjs, fed with what the turn run measured), printed with the machine and the
// versions. Figures only: nothing here fails on a missed target (exit 1 only if a bench could not run).
// Usage: npm run bench -- [turns|gateway|cost|all] [--duration 5] [--warmup 1] [--concurrency 1,8,32]
//                         [--calls 50] [--delay 50] [--url http://127.0.0.1:8787]
// (--url: run the turn bench against an already-running voice-edge, e.g. `npm run dev`, instead of
// starting one; ADMIN_TOKEN from the environment; raise its TENANT_* limits or it measures 429s.)
import { costModel } from "./cost-model.mjs";
import { runGateway } from "./gateway.mjs";
import { machineLines } from "./lib/machine.mjs";
import { parseTurnsArgs, runTurns } from "./turns.mjs";

const o = parseTurnsArgs(process.argv.slice(2));
const which = o.rest?.[0] ?? "all";
if (!["turns", "gateway", "cost", "all"].includes(which)) {
  console.error(`bench: unknown part ${which}: turns, gateway, cost or all`);
  process.exit(2);
}
const stop = new AbortController();
o.signal = stop.signal;
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => (stop.abort(), setTimeout(() => process.exit(130), 10_000).unref()));

const started = performance.now();
console.log(`voice-edge bench (${which}), ${new Date().toISOString()}`);
for (const line of machineLines()) console.log(line);
console.log(
  `parameters: --duration ${o.durationS} --warmup ${o.warmupS} --concurrency ${o.concurrency.join(",")} --calls ` +
    `${o.calls}${o.url ? ` --url ${o.url}` : ""}; the load generator and the local Workers share this machine`,
);
let failed = false;
let turns;
if (which === "turns" || which === "all") {
  try {
    turns = await runTurns(o);
  } catch (err) {
    failed = true;
    console.error(`\nturn bench failed: ${err.message}`);
  }
}
if ((which === "gateway" || which === "all") && !stop.signal.aborted) {
  try {
    await runGateway(o);
  } catch (err) {
    failed = true;
    console.error(`\ngateway bench failed: ${err.message}`);
  }
}
if (which === "cost" || which === "all") {
  const input = {};
  // The model's call takes default-reply turns (local TTS through the R2 speech cache), so the
  // object's time per RPC is that run's, not the reply=text one's.
  const spoken1 = turns?.rows.find((r) => r.name === "voice-edge local TTS" && r.connections === 1);
  if (spoken1)
    Object.assign(input, {
      turnMs: Math.round(spoken1.r.p50 * 10) / 10,
      turnMsSource:
        "measured locally: p50 of a default-reply (local TTS) turn at concurrency 1, client " +
        "side, so an upper bound for this machine; production's R2 reads take longer",
    });
  const m = turns?.measured;
  if (m?.r2.objects)
    Object.assign(input, {
      r2KiB: m.r2.bytes / 1024,
      r2Source: `measured: ${m.r2.objects} R2 objects of a ${m.turns}-turn call`,
    });
  costModel(input);
  if (m) {
    console.log(
      `sanity check against the local run: ${m.turns}-turn call -> D1 calls ${m.d1.calls} (model 1), ` +
        `turns rows ${m.d1.turns} (model 0: the history is a column of the calls row), audit rows ` +
        `${m.d1.audit} (model 1: every use of the call's one sync, here its archive); R2 objects ` +
        `${m.r2.objects} (model 1: the transcript); rows written: as the turn part printed them`,
    );
  }
}
console.log(`\nbench done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
