// bench:cost's streaming section: what a live call costs when it streams (docs/streaming.md), at list
// prices, for the same call shape (turns, minutes) as the rest of the model.
//   Durable Objects duration  $12.50 per million GB-s, 128 MB billed while the object is active
//     (../shared/reference/providers.md; hibernated WebSockets are not billed, but a live stream's
//     caller sends a 20 ms frame all the time, so its object is active for the whole call).
//   Streaming STT, per minute the provider's socket is open, list prices:
//     Workers AI @cf/deepgram/flux $0.0077, @cf/deepgram/nova-3 over WebSocket $0.0092 (batch $0.0052)
//       https://developers.cloudflare.com/workers-ai/models/flux (../shared/reference/providers.md)
//     AssemblyAI Universal-Streaming $0.15 an hour, billed on the session's whole duration, not on
//       the audio sent: https://www.assemblyai.com/blog/introducing-universal-streaming ,
//       https://assemblyai.com/docs/billing-and-pricing
//     Deepgram direct (Flux English $0.0065): third-party copies of Deepgram's page only
//       (https://www.llmreference.com/provider/deepgram/flux-asr); confirm on deepgram.com/pricing.
// The socket is opened when the caller starts speaking and closed after the turn
// (src/pipeline/live/), so it is open for the caller's speech plus a little: the pre-roll, the
// provider's end-of-turn wait and the close handshake.

const DO_MEMORY_GB = 0.128;

export const STT_STREAM_PRICES_PER_MIN = [
  ["workers-ai flux", 0.0077],
  ["workers-ai nova-3 (websocket)", 0.0092],
  ["deepgram flux (direct, unconfirmed)", 0.0065],
  ["assemblyai universal-streaming", 0.15 / 60],
];
/** Batch STT for comparison: Workers AI nova-3 batch, per minute of audio sent. */
const BATCH_STT_PER_MIN = 0.0052;

/** Seconds the provider socket is open in a turn: the caller's speech plus pre-roll, end of turn and close. */
export function socketSecondsPerTurn(p) {
  return p.speechSeconds + p.socketOverheadSeconds;
}

/** Prints the section; returns its figures per 1M calls. */
export function streamingCost(p, prices, log = console.log) {
  const M = 1e6;
  const callS = p.minutes * 60;
  const durationUsd = DO_MEMORY_GB * callS * prices.doGbS * M;
  const openMin = (p.turns * socketSecondsPerTurn(p)) / 60;
  const audioMin = (p.turns * p.speechSeconds) / 60;
  log(`\n== Live streams (bench/cost-streaming.mjs): ${p.turns} turns, ${p.minutes} minutes ==`);
  log(
    `  the call's object is active while the caller streams 20 ms frames: 128 MB x ${callS} s = ` +
      `${(DO_MEMORY_GB * callS).toFixed(1)} GB-s, $${durationUsd.toFixed(2)} per 1M calls ` +
      "(batch or streaming STT alike)",
  );
  log(
    `  a streaming STT socket is open ${socketSecondsPerTurn(p)} s a turn (${p.speechSeconds} s of speech + ` +
      `${p.socketOverheadSeconds} s of pre-roll, end of turn and close), ${openMin.toFixed(2)} min a call; ` +
      "it adds no object duration (the object is awake for the frames anyway), only the provider's minutes:",
  );
  const rows = STT_STREAM_PRICES_PER_MIN.map(([name, perMin]) => [name, openMin * perMin * M]);
  for (const [name, usd] of rows) log(`    ${name.padEnd(38)}$${usd.toFixed(2).padStart(9)} per 1M calls`);
  const batch = audioMin * BATCH_STT_PER_MIN * M;
  log(`    ${"batch: workers-ai nova-3 (audio only)".padEnd(38)}$${batch.toFixed(2).padStart(9)} per 1M calls`);
  log(
    "  keeping one socket open for the whole call instead would bill every minute of it: " +
      `$${((callS / 60) * STT_STREAM_PRICES_PER_MIN[0][1] * M).toFixed(2)} per 1M calls with workers-ai flux`,
  );
  return { durationUsd, perProvider: Object.fromEntries(rows), batch };
}
