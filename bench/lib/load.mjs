// One load run with autocannon (https://github.com/mcollina/autocannon, programmatic API): `connections`
// clients, each sending its next request as soon as its previous one is answered (no pipelining),
// for `durationS` seconds after a warm-up of `warmupS` seconds (same load, not counted).
// Client k gets its own share of `targets` (k, k+connections, ...) and walks it round robin, so two
// requests never wait on the same call at once while there are at least as many targets as clients.
// Latency is the client-observed time of each answered request (float ms, every one recorded).
import autocannon from "autocannon";

export const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;

/**
 * @param {object} o
 * @param {string} o.base                  http://127.0.0.1:port
 * @param {number} o.connections
 * @param {number} o.durationS
 * @param {number} [o.warmupS]
 * @param {unknown[]} [o.targets]           what each request is about (e.g. call ids); default [null]
 * @param {(target: unknown) => {method: string, path: string, headers?: object, body?: string|Buffer}} o.request
 * @param {() => number | null} [o.cpuSeconds]  the server's CPU seconds so far (bench/lib/proc-cpu.mjs): gives cpuMs,
 *                                              per answered request, over the measured run
 * @returns {Promise<{
 *   requests: number, ok: number, statuses: Record<string, number>, errors: number, timeouts: number,
 *   seconds: number, rps: number, p50: number, p95: number, p99: number, max: number, cpuMs: number
 * }>}
 */
export async function load(o) {
  const targets = o.targets ?? [null];
  if (o.warmupS) await once({ ...o, durationS: o.warmupS }, targets);
  const cpuBefore = o.cpuSeconds?.() ?? null;
  const r = await once(o, targets);
  const cpuAfter = cpuBefore === null ? null : o.cpuSeconds();
  return { ...r, cpuMs: cpuAfter === null || !r.ok ? NaN : ((cpuAfter - cpuBefore) * 1000) / r.ok };
}

function once(o, targets) {
  const latencies = [];
  const statuses = {};
  let clients = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: o.base,
        connections: o.connections,
        duration: o.durationS,
        timeout: 30,
        setupClient(client) {
          const k = clients++ % o.connections;
          const mine = targets.filter((_, i) => i % o.connections === k);
          const list = mine.length ? mine : [targets[k % targets.length]];
          let j = 0;
          const first = o.request(list[0]);
          client.setRequests([
            {
              ...first,
              setupRequest: (req) => ({ ...req, ...o.request(list[j++ % list.length]) }),
            },
          ]);
        },
      },
      (err, result) => {
        if (err) return reject(err);
        const seconds = (performance.now() - started) / 1000;
        latencies.sort((a, b) => a - b);
        const ok = Object.entries(statuses).reduce((a, [s, n]) => a + (s.startsWith("2") ? n : 0), 0);
        resolve({
          requests: latencies.length,
          ok,
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds: result.duration ?? seconds,
          rps: ok / (result.duration || seconds),
          p50: pct(latencies, 50),
          p95: pct(latencies, 95),
          p99: pct(latencies, 99),
          max: latencies[latencies.length - 1] ?? NaN,
        });
      },
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      latencies.push(ms);
    });
  });
}

export const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
/** "200×1234" or "200×1200, 429×34". */
export const statusLine = (r) =>
  Object.entries(r.statuses)
    .map(([s, n]) => `${s}×${n}`)
    .join(", ") +
  (r.errors ? `, errors×${r.errors}` : "") +
  (r.timeouts ? `, timeouts×${r.timeouts}` : "");
