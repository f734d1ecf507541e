// A fake TTS for bench:agent (node:http, 127.0.0.1): OpenAI's POST /v1/audio/speech as
// bench/fault-wire.mjs speaks it (a JSON body {model, input, voice, response_format} → the audio, here
// about 60 ms of a tone per input character, 24 kHz PCM when asked for "pcm"), answered a fixed
// `delayMs` after the request's body was read: its time to first byte. bench/lib/provider-stub.mjs
// answers the same way but only keeps service times; this one records per request, on clock()
// (fake-model.mjs), when the body had been read, when the answer started and ended, and the `ref` in
// the text it was asked to speak (the fake model puts its request's ref in its first sentence), so the
// bench can tell which turn's first sentence each request was and subtract this TTS's own time.
import { createServer } from "node:http";
import { badSpeechRequest, SPEECH_PATH, speechAnswer } from "../fault-wire.mjs";
import { clock, REF_WORD } from "./fake-model.mjs";

export async function startFakeTts({ delayMs = 100 } = {}) {
  const records = [];
  let bad = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const arrivedAt = clock();
      let json = null;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        // answered below as a bad request
      }
      const why =
        req.method !== "POST" || new URL(req.url, "http://fake").pathname !== SPEECH_PATH
          ? "unknown path"
          : badSpeechRequest(json);
      if (why) {
        bad++;
        res.writeHead(400, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ error: { message: why } }));
      }
      const record = { ref: REF_WORD.exec(json.input)?.[1] ?? null, chars: json.input.length, arrivedAt };
      records.push(record);
      const answer = speechAnswer(json);
      setTimeout(() => {
        record.firstByteAt = clock();
        res.writeHead(200, { ...answer.headers, "content-length": answer.body.length });
        res.end(answer.body, () => (record.doneAt = clock()));
      }, delayMs);
    });
  });
  await new Promise((res) => server.listen(0, "127.0.0.1", res));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    delayMs,
    /** Every request so far, in arrival order. */
    records: () => records.map((r) => ({ ...r })),
    bad: () => bad,
    close: () => new Promise((res) => (server.closeAllConnections?.(), server.close(() => res()))),
  };
}
