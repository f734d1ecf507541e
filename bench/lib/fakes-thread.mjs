// bench:agent's fake model (fake-model.mjs) and fake TTS (fake-tts.mjs) in a worker thread of their
// own: in the bench's main thread, the client's parsing of up to 50 event streams (each sentence's audio is
// a few hundred kB of base64) delayed the fakes' timers by up to ~100 ms, so the model's tokens and the
// TTS's answers left late. Here they have an event loop to themselves; their timestamps are on clock()
// (fake-model.mjs), which the client uses too.
// bench:stream --model starts the model alone (no `tts` option: its TTS is bench/lib/provider-stub.mjs).
// startFakesThread() runs in the main thread and returns a proxy; the rest of this file runs in the thread.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { startFakeModel } from "./fake-model.mjs";
import { startFakeTts } from "./fake-tts.mjs";

/**
 * Starts the fakes in a worker thread.
 * @param {{ model: Parameters<typeof startFakeModel>[0], tts?: Parameters<typeof startFakeTts>[0] }} options
 *   without `tts`, only the model runs (info().tts is null, records().tts empty)
 */
export async function startFakesThread(options) {
  const worker = new Worker(new URL(import.meta.url), { workerData: options });
  const pending = new Map();
  let next = 0;
  let failed;
  worker.on("message", (m) => {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  worker.on("error", (err) => {
    failed = err;
    for (const settle of pending.values()) settle({ error: err.message });
    pending.clear();
  });
  const ask = (op) =>
    new Promise((res, rej) => {
      if (failed) return rej(failed);
      const id = next++;
      pending.set(id, (m) => (m.error ? rej(new Error(`fakes thread: ${m.error}`)) : res(m.value)));
      worker.postMessage({ id, op });
    });
  const info = await ask("info");
  return {
    ...info,
    /** Both fakes' records so far, and how many requests each refused as malformed. */
    records: () => ask("records"),
    close: async () => {
      await ask("close").catch(() => undefined);
      await worker.terminate();
    },
  };
}

if (!isMainThread && workerData?.model) {
  const model = await startFakeModel(workerData.model);
  const tts = workerData.tts ? await startFakeTts(workerData.tts) : null;
  const ops = {
    info: () => ({
      model: {
        url: model.url,
        firstTokenMs: model.firstTokenMs,
        tokensPerSecond: model.tokensPerSecond,
        tokens: model.tokens,
        firstSentenceTokens: model.firstSentenceTokens,
        firstSentenceDueMs: model.firstSentenceDueMs,
        lastTokenDueMs: model.lastTokenDueMs,
      },
      tts: tts ? { url: tts.url, delayMs: tts.delayMs } : null,
    }),
    records: () => ({
      model: model.records(),
      modelBad: model.bad(),
      tts: tts?.records() ?? [],
      ttsBad: tts?.bad() ?? 0,
    }),
    close: async () => {
      await Promise.all([model.close(), tts?.close()]);
    },
  };
  parentPort.on("message", async ({ id, op }) => {
    try {
      parentPort.postMessage({ id, value: await ops[op]() });
    } catch (err) {
      parentPort.postMessage({ id, error: err?.message ?? String(err) });
    }
  });
}
