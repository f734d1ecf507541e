// bench:agent's fake model (fake-model.mjs) and fake TTS (fake-tts.mjs) in a worker thread of their
// own: in the bench's main thread, the client's parsing of up to 50 event streams (each sentence's audio is
// a few hundred kB of base64) delayed the fakes' timers by up to ~100 ms, so the model's tokens and the
// TTS's answers left late. Here they have an event loop to themselves; their timestamps are on clock()
// (fake-model.mjs), which the client uses too.
// bench:stream runs its fakes here the same way, for the same reason (25 real-time senders in the main
// thread delayed the stub's streamed speech and the recogniser's answers): the OpenAI-wire provider stub
// (`stub`, provider-stub.mjs), the fake streaming recogniser (`sttStream`, fake-stt-stream.mjs) and, with
// --model, the model.
// startFakesThread() runs in the main thread and returns a proxy; the rest of this file runs in the thread.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { startFakeModel } from "./fake-model.mjs";
import { startFakeSttStream } from "./fake-stt-stream.mjs";
import { startFakeTts } from "./fake-tts.mjs";
import { startProviderStub } from "./provider-stub.mjs";

/**
 * Starts the fakes in a worker thread; each option starts one (info() has null for those not asked for).
 * @param {{ model?: Parameters<typeof startFakeModel>[0], tts?: Parameters<typeof startFakeTts>[0],
 *   stub?: Parameters<typeof startProviderStub>[0], sttStream?: Parameters<typeof startFakeSttStream>[0] }} options
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

if (!isMainThread && workerData) {
  const o = workerData;
  const [model, tts, stub, sttStream] = await Promise.all([
    o.model ? startFakeModel(o.model) : null,
    o.tts ? startFakeTts(o.tts) : null,
    o.stub ? startProviderStub(o.stub) : null,
    o.sttStream ? startFakeSttStream(o.sttStream) : null,
  ]);
  const ops = {
    info: () => ({
      model: model && {
        url: model.url,
        firstTokenMs: model.firstTokenMs,
        tokensPerSecond: model.tokensPerSecond,
        tokens: model.tokens,
        firstSentenceTokens: model.firstSentenceTokens,
        firstSentenceDueMs: model.firstSentenceDueMs,
        lastTokenDueMs: model.lastTokenDueMs,
      },
      tts: tts && { url: tts.url, delayMs: tts.delayMs },
      stub: stub && { url: stub.url, delayMs: stub.delayMs },
      sttStream: sttStream && { url: sttStream.url, endOfTurnMs: sttStream.endOfTurnMs },
    }),
    records: () => ({
      model: model?.records() ?? [],
      modelBad: model?.bad() ?? 0,
      tts: tts?.records() ?? [],
      ttsBad: tts?.bad() ?? 0,
      sttStream: sttStream?.stats() ?? null,
    }),
    close: async () => {
      await Promise.all([model?.close(), tts?.close(), stub?.close(), sttStream?.close()]);
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
