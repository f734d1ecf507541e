#!/usr/bin/env node
// Measures turn latency against a running voice-edge (default: `npm run dev` on :8787).
// Usage: npm run bench -- [baseUrl] [turns]      env: ADMIN_TOKEN (default: the .dev.vars.example one)
// Prints client-observed round-trip times and the server's own per-stage latencyMs, as figures.
const base = process.argv[2] ?? "http://127.0.0.1:8787";
const turns = Number(process.argv[3] ?? 30);
const admin = process.env.ADMIN_TOKEN ?? "dev-admin-token-change-me";

async function call(path, init = {}) {
  const res = await fetch(base + path, init).catch((err) => {
    console.error(`cannot reach ${base} (${err.cause?.code ?? err.message}): start the server first with \`npm run dev\`, or pass its URL: npm run bench -- <baseUrl>`);
    process.exit(1);
  });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return res;
}
const json = (body, key) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
  body: JSON.stringify(body),
});
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(1)}  p95 ${pct(xs, 95).toFixed(1)}  max ${Math.max(...xs).toFixed(1)}`;

const { key } = await (await call("/api/v1/admin/keys", { ...json({ tenantId: "bench", scopes: ["calls:write", "calls:read"] }), headers: { ...json({}).headers, authorization: `Bearer ${admin}` } })).json();
const utterances = ["I would like to check my account balance please", "I have a question about my bill", "my internet is not working", "press one", "can you help me"];

for (const mode of ["text", "audio"]) {
  const { callId } = await (await call(`/api/v1/calls?reply=text`, json({ userId: "bench" }, key))).json();
  const rtt = [];
  const stages = { nlp: [], tts: [], total: [] };
  for (let i = 0; i < turns; i++) {
    const t0 = performance.now();
    const body = await (await call(`/api/v1/calls/${callId}/turns?reply=${mode}`, json({ text: utterances[i % utterances.length] }, key))).json();
    rtt.push(performance.now() - t0);
    for (const k of Object.keys(stages)) stages[k].push(body.latencyMs[k]);
  }
  await call(`/api/v1/calls/${callId}/end`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
  console.log(`\nreply=${mode}, ${turns} text turns on one call (${base})`);
  console.log(`  round trip ms      ${fmt(rtt)}`);
  for (const [k, v] of Object.entries(stages)) console.log(`  server ${k.padEnd(6)} ms  ${fmt(v)}`);
}
