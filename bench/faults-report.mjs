// The figures bench/faults.mjs prints after a run. Everything is computed from what the bench saw
// (status, latency and transcript of each turn), what the fault servers counted, and the worker's own
// JSON log lines (provider_breaker, stt_failover, stt_unavailable); nothing is estimated.
import { FAULT_KINDS, TRANSCRIPT } from "./fault-provider.mjs";

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
};
const num = (x) => (Number.isNaN(x) ? "-" : String(Math.round(x)));
const share = (n, d) => (d ? `${((100 * n) / d).toFixed(1)}%` : "-");
const stamp = (s) => `+${s.toFixed(1).padStart(5)}s`;
const latencyRow = (label, xs) =>
  `  ${label.padEnd(36)} ${String(xs.length).padStart(5)} ${num(pct(xs, 50)).padStart(7)} ` +
  `${num(pct(xs, 95)).padStart(7)} ${num(pct(xs, 99)).padStart(7)} ` +
  `${num(xs.length ? Math.max(...xs) : NaN).padStart(7)}`;
const line = (label, value) => console.log(`  ${label.padEnd(38)} ${value}`);
/** Transcripts differ in case and punctuation between providers (Deepgram's smart_format); the words must not. */
const words = (text) =>
  (text ?? "")
    .toLowerCase()
    .replace(/[^a-z ]/g, "")
    .trim();

/** "openai@127.0.0.1:4001#1 failed 500, deepgram@127.0.0.1:4003#1 success" -> [{ id, attempt, outcome }]. */
function parseAttempts(summary) {
  return (summary ?? "")
    .split(", ")
    .map((part) => /^([^@\s]+@[^#\s]+)(?:#(\d+))? (\w+)/.exec(part))
    .filter(Boolean)
    .map(([, id, attempt, outcome]) => ({ id, attempt: Number(attempt ?? 0), outcome }));
}

/**
 * What a turn that needed more than one provider call did: retried in place, or failed over to another region or
 * provider.
 */
function classify(event) {
  const attempts = parseAttempts(event.attempts);
  const served = `${event.provider}@${event.region}`;
  const first = attempts[0]?.id ?? served;
  const kind = first === served ? "retry" : first.split("@")[0] === event.provider ? "region" : "provider";
  return {
    kind,
    attempts,
    served,
    calls: attempts.filter((a) => a.attempt > 0).length,
    skippedOpen: attempts.some((a) => a.outcome === "skipped_open"),
  };
}

/** The route of a turn through the chain, by server label: "A → B", "A(open) → B → dg". */
function route(attempts, labelOf) {
  const hops = [];
  for (const a of attempts) {
    const hop =
      `${labelOf(a.id)}` +
      `${a.outcome === "skipped_open" ? "(open)" : a.outcome.startsWith("skipped_") ? "(skipped)" : ""}`;
    if (hops.at(-1) !== hop) hops.push(hop);
  }
  return hops.join(" → ");
}

/** Consecutive runs of audio turns with the same servers down. */
function phases(turnCount, servers) {
  const downAt = (i) => servers.filter((s) => s.outage && i >= s.outage[0] && i < s.outage[1]).map((s) => s.label);
  const out = [];
  for (let i = 0; i < turnCount; i++) {
    const down = downAt(i).join(", ");
    if (out.at(-1)?.down === down) out.at(-1).to = i;
    else out.push({ from: i, to: i, down });
  }
  return out;
}

export function report({
  opts,
  servers,
  turns: all,
  controls,
  calls,
  polled,
  runSeconds,
  runStartS,
  callerErrors,
  workerEvents,
  workerReloads,
  stopReason,
}) {
  const turns = all.filter((t) => !t.cut); // turns in flight when the cap stopped the run say nothing
  const cut = all.length - turns.length;
  const ids = new Map(servers.map((s) => [`${s.provider}@${s.region}`, s]));
  const labelOf = (id) => ids.get(id)?.label ?? id;
  const rel = (s) => stamp(s - runStartS);
  const ok = turns.filter((t) => t.status === 200);
  const unavailable = turns.filter((t) => t.status === 503 && t.code === "provider_unavailable");
  const other = turns.filter((t) => !(t.status === 200 || (t.status === 503 && t.code === "provider_unavailable")));
  const wrongText = ok.filter((t) => words(t.text) !== TRANSCRIPT || !ids.has(`${t.provider}@${t.region}`));
  const breakerLog = workerEvents.filter((e) => e.event === "provider_breaker");
  // Each server's breaker state when a turn was sent, from the worker's transition log.
  const breakerAt = (id, at) =>
    breakerLog.filter((e) => `${e.provider}@${e.region}` === id && e.at <= at).at(-1)?.to ?? "closed";
  const allOpen = (at) => servers.every((s) => breakerAt(`${s.provider}@${s.region}`, at) !== "closed");

  console.log(
    `\n=== voice-edge under injected STT faults: scenario ${opts.scenario} ` +
      `(${runSeconds.toFixed(1)} s of turns${stopReason ? `, STOPPED EARLY by ${stopReason}` : ""}) ===`,
  );
  console.log(
    "fault servers, in the worker's STT chain order (faults split evenly over " +
      `${FAULT_KINDS.join(", ")}; slow = 4 s, 429 with Retry-After: 1):`,
  );
  for (const s of servers) {
    const w =
      s.window.from !== undefined
        ? `, ${rel(s.window.from)} to ${rel(s.window.to ?? s.window.from)}`
        : " (not reached)";
    console.log(
      `  ${s.label.padEnd(6)} ${`${s.provider}@${s.region}`.padEnd(28)} ` +
        `${String(s.latencyMs).padStart(4)} ms, ${String(Math.round(s.faultRate * 100)).padStart(3)}% ` +
        `faults; ${s.outage ? `outage on audio turns ${s.outage[0]}–${s.outage[1] - 1}${w}` : "no outage"}`,
    );
  }
  console.log(`calls: ${calls.created} created, ${calls.ended} ended; times below are from the first turn`);
  if (workerReloads)
    console.log(
      `WARNING: the worker restarted ${workerReloads} time(s) during the run, forgetting its breakers and latencies`,
    );

  console.log("\nsuccess rate by turn kind                  sent     200     503   other   200 share");
  const kindRow = (label, xs) => {
    const n200 = xs.filter((t) => t.status === 200).length;
    const n503 = xs.filter((t) => t.status === 503).length;
    console.log(
      `  ${label.padEnd(38)} ${String(xs.length).padStart(6)} ${String(n200).padStart(7)} ` +
        `${String(n503).padStart(7)} ${String(xs.length - n200 - n503).padStart(7)} ` +
        `${share(n200, xs.length).padStart(11)}`,
    );
  };
  kindRow(`audio${cut ? ` (${cut} more cut off by the stop)` : ""}`, turns);
  kindRow(
    "text",
    controls.filter((c) => c.kind === "text"),
  );
  kindRow(
    "keypad",
    controls.filter((c) => c.kind === "keypad"),
  );
  line("audio 200s with a wrong transcript", wrongText.length);

  console.log("\nlatency, ms (client round trip)            n     p50     p95     p99     max");
  console.log(
    latencyRow(
      "audio, 200",
      ok.map((t) => t.ms),
    ),
  );
  console.log(
    latencyRow(
      "audio, 503",
      unavailable.map((t) => t.ms),
    ),
  );
  console.log(
    latencyRow(
      "audio, 503 while every breaker open*",
      unavailable.filter((t) => allOpen(t.at)).map((t) => t.ms),
    ),
  );
  console.log(
    latencyRow(
      "audio, 503 otherwise*",
      unavailable.filter((t) => !allOpen(t.at)).map((t) => t.ms),
    ),
  );
  console.log(
    latencyRow(
      "text",
      controls.filter((c) => c.kind === "text").map((c) => c.ms),
    ),
  );
  console.log(
    latencyRow(
      "keypad",
      controls.filter((c) => c.kind === "keypad").map((c) => c.ms),
    ),
  );
  console.log("  * the breakers' states when the turn was sent, from the worker's transition log");

  console.log("\naudio turns by phase: which servers were down, who answered");
  for (const p of phases(opts.turns, servers)) {
    const xs = turns.filter((t) => t.i >= p.from && t.i <= p.to);
    if (!xs.length) continue;
    const served = {};
    for (const t of xs.filter((t) => t.status === 200))
      served[labelOf(`${t.provider}@${t.region}`)] = (served[labelOf(`${t.provider}@${t.region}`)] ?? 0) + 1;
    const n200 = xs.filter((t) => t.status === 200).length;
    const n503 = xs.filter((t) => t.status === 503).length;
    const by = Object.entries(served)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    line(
      `turns ${p.from}–${p.to}, ${p.down ? `${p.down} down` : "none down"}`,
      `${n200}/${xs.length} answered ` +
        `(${share(n200, xs.length)})${by ? `, by ${by}` : ""}${n503 ? `; ${n503} × 503` : ""}`,
    );
  }

  console.log("\naudio turns served, by provider-region");
  for (const s of servers) {
    const n = ok.filter((t) => `${t.provider}@${t.region}` === `${s.provider}@${s.region}`).length;
    line(
      `${s.label.padEnd(6)} ${s.provider}@${s.region}`,
      `${String(n).padStart(4)}  ${share(n, ok.length)} of the 200s`,
    );
  }

  const failovers = workerEvents.filter((e) => e.event === "stt_failover").map(classify);
  const count = (kind) => failovers.filter((f) => f.kind === kind);
  const routes = {};
  for (const f of failovers.filter((f) => f.kind !== "retry")) {
    const r = route(f.attempts, labelOf);
    routes[r] = (routes[r] ?? 0) + 1;
  }
  const regionFo = count("region");
  const providerFo = count("provider");
  console.log("\nfailovers (the worker's stt_failover lines: 200s that needed more than one provider call)");
  line(
    "200s after more than one call",
    `${failovers.length}  (${failovers.reduce((a, f) => a + f.calls, 0)} provider calls)`,
  );
  line("  retried in the same region only", count("retry").length);
  line(
    "  failed over to another region",
    `${regionFo.length}` +
      (regionFo.some((f) => f.skippedOpen)
        ? `  (${regionFo.filter((f) => f.skippedOpen).length} of them past an open breaker)`
        : ""),
  );
  line(
    "  failed over to another provider",
    `${providerFo.length}` +
      (providerFo.some((f) => f.skippedOpen)
        ? `  (${providerFo.filter((f) => f.skippedOpen).length} of them past an open breaker)`
        : ""),
  );
  line(
    "turns that needed a failover",
    `${regionFo.length + providerFo.length}  (${share(regionFo.length + providerFo.length, ok.length)} of the 200s)`,
  );
  const routeList = Object.entries(routes).sort((a, b) => b[1] - a[1]);
  if (routeList.length)
    line("failover routes (first choice → server)", routeList.map(([r, n]) => `${r} ×${n}`).join(", "));
  console.log("  (a turn can also start at another region when the ordering already put it first: see the phases)");

  const unavailableEvents = workerEvents.filter((e) => e.event === "stt_unavailable");
  const reasons = {};
  for (const e of unavailableEvents) reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
  const exhausted = unavailableEvents.filter((e) => e.reason === "exhausted");
  const ra = unavailable.map((t) => Number(t.retryAfter)).filter(Number.isFinite);
  const longer = ra.filter((x) => x > 1);
  console.log("\n503 provider_unavailable");
  line(
    "audio turns answered 503",
    `${unavailable.length}  (${share(unavailable.length, turns.length)}), ` +
      `${ra.length} with Retry-After, ${unavailable.length - ra.length} without`,
  );
  if (ra.length)
    line(
      "Retry-After",
      `${ra.length - longer.length} × 1 s; ${longer.length} × 2–30 s` +
        `${longer.length ? ` (the breakers' wait: p50 ${num(pct(longer, 50))} s, max ${Math.max(...longer)} s)` : ""}`,
    );
  line(
    "stt_unavailable by reason",
    Object.entries(reasons)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none",
  );
  line(
    "503s after calling providers",
    `${exhausted.length}  ` +
      `(${exhausted.reduce((a, e) => a + parseAttempts(e.attempts).filter((x) => x.attempt > 0).length, 0)} ` +
      "provider calls; the rest were answered without a call)",
  );

  console.log("\nprovider requests, counted by each fault server");
  for (const s of servers) {
    const st = s.server.stats();
    const faults =
      Object.entries(st.faults)
        .filter(([k, n]) => n && k !== "outage_500")
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "none";
    // Requests during the outage show whether the worker still sent callers there (an untried region learns nothing).
    const outage = s.outage ? `; ${st.faults.outage_500} during its outage` : "";
    line(
      `${s.label.padEnd(6)} ${s.provider}`,
      `${st.requests} requests, ${st.answered} answered; faults: ${faults}${outage}; ${st.clientGone} given up ` +
        `by the worker${st.badRequests ? `; ${st.badRequests} BAD REQUESTS (adapter and server disagree)` : ""}`,
    );
  }

  console.log("\nbreaker transitions per provider-region, as the worker logged them");
  for (const s of servers) {
    const id = `${s.provider}@${s.region}`;
    const mine = breakerLog.filter((e) => `${e.provider}@${e.region}` === id);
    const transitions = mine.map((e) => `${rel(e.at)} ${e.from} → ${e.to} (${e.reason})`).join(";  ");
    console.log(`  ${s.label.padEnd(6)} ${id}: ${mine.length ? transitions : "stayed closed"}`);
  }
  console.log(
    "breaker states seen by polling GET /api/v1/providers every 1 s " +
      `(${polled.samples} polls, ${polled.failures} failed)`,
  );
  for (const s of servers) {
    const id = `${s.provider}@${s.region}`;
    const mine = polled.transitions.filter((t) => t.id === id);
    const lat = polled.latencyMs[id] ?? [];
    const ewma = lat.length
      ? `; EWMA latency ${Math.min(...lat)}–${Math.max(...lat)} ms, highest errorRate ${polled.maxErrorRate[id]}`
      : "";
    const transitions = mine.map((t) => `${rel(t.at)} ${t.from} → ${t.to}`).join(";  ");
    console.log(`  ${s.label.padEnd(6)} ${mine.length ? transitions : "closed throughout"}${ewma}`);
  }

  const ctlDown = controls.filter((c) => c.down.length);
  console.log("\ntext and keypad turns (no STT provider involved)");
  line(
    "answered 200",
    `${controls.filter((c) => c.status === 200).length} of ${controls.length}` +
      `${controls.every((c) => c.status === 200) ? "  (all)" : "  <-- NOT ALL"}`,
  );
  line(
    "sent while a server was down",
    `${ctlDown.length}, ${ctlDown.filter((c) => c.status === 200).length} answered 200`,
  );

  const slowest = [...turns].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.log("\nslowest audio turns (X-Request-Id, for the worker log)");
  for (const t of slowest)
    console.log(
      `  turn ${String(t.i).padStart(3)} ${rel(t.at)}  ${t.status || t.error}  ${Math.round(t.ms)} ms  ` +
        `${t.provider ? `${labelOf(`${t.provider}@${t.region}`)}  ` : ""}${t.requestId ?? "-"}`,
    );

  const problems = [
    ...other.map((t) => ({ what: `audio turn ${t.i}`, ...t })),
    ...wrongText.map((t) => ({
      what: `audio turn ${t.i} (wrong transcript)`,
      ...t,
      error: `${t.provider}@${t.region}: ${t.text}`,
    })),
    ...controls.filter((c) => c.status !== 200).map((c) => ({ what: `${c.kind} turn`, ...c })),
  ];
  if (problems.length || callerErrors.length) {
    console.log("\nunexpected answers (request id, status, body)");
    for (const p of problems.slice(0, 20))
      console.log(`  ${p.what} ${rel(p.at)}: ${p.requestId ?? "-"} ${p.status || ""} ${p.error ?? p.body ?? ""}`);
    if (problems.length > 20) console.log(`  ... and ${problems.length - 20} more`);
    for (const e of callerErrors) console.log(`  caller stopped: ${e}`);
  }
  return problems.length === 0 && callerErrors.length === 0 && !stopReason;
}

/** A 503 counts as late when sent more than this long after the latest outage ended (none under way). */
export const LATE_503_AFTER_S = 2;
/** The target of issue 19: in every seed, at least this share of audio turns answered 200, and no late 503. */
export const TARGET_SHARE = 0.99;

/**
 * One seed's fixed-format line, `faults seed=1 audio_turns=200 ok=199 share=99.5% late_503=0`, and its figures.
 * A 503 is late when no outage was under way when its turn was sent and the latest outage had ended more than
 * LATE_503_AFTER_S before (or, before any outage, the run had been going that long): every server was up, apart
 * from its random faults, and a breaker still refused callers.
 */
export function seedLine(seed, allTurns, servers, runStartS) {
  const turns = allTurns.filter((t) => !t.cut);
  const ok = turns.filter((t) => t.status === 200).length;
  const windows = servers
    .filter((s) => s.window.from !== undefined)
    .map((s) => ({ from: s.window.from, to: s.window.to ?? Infinity }));
  const late = turns.filter((t) => {
    if (t.status !== 503) return false;
    if (windows.some((w) => t.at >= w.from && t.at < w.to)) return false;
    const ended = Math.max(runStartS, ...windows.filter((w) => w.to <= t.at).map((w) => w.to));
    return t.at - ended > LATE_503_AFTER_S;
  });
  const share = turns.length ? ok / turns.length : 0;
  return {
    audioTurns: turns.length,
    ok,
    share,
    late503: late.length,
    line:
      `faults seed=${seed} audio_turns=${turns.length} ok=${ok} share=${(100 * share).toFixed(1)}% ` +
      `late_503=${late.length}`,
  };
}

/** Prints every seed's line and whether the target was met in each; true when it was. */
export function seedSummary(results, seeds) {
  console.log(`\n=== bench:faults, ${results.length} of ${seeds.length} seeds run ===`);
  for (const r of results) console.log(r.failed ? `faults seed=${r.seed} FAILED (see above)` : r.line);
  const done = results.filter((r) => !r.failed);
  const met =
    done.length === seeds.length && done.every((r) => r.share >= TARGET_SHARE && r.late503 === 0 && r.audioTurns > 0);
  const turns = done.reduce((a, r) => a + r.audioTurns, 0);
  const ok = done.reduce((a, r) => a + r.ok, 0);
  console.log(
    `faults all seeds=${done.map((r) => r.seed).join(",")} audio_turns=${turns} ok=${ok} ` +
      `share=${turns ? ((100 * ok) / turns).toFixed(1) : "0.0"}% ` +
      `min_share=${done.length ? (100 * Math.min(...done.map((r) => r.share))).toFixed(1) : "0.0"}% ` +
      `late_503=${done.reduce((a, r) => a + r.late503, 0)}`,
  );
  console.log(`target (every seed: share >= ${100 * TARGET_SHARE}%, late_503 = 0): ${met ? "met" : "NOT MET"}`);
  return met;
}
