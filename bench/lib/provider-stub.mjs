// A provider stub with a fixed answer time for bench:gateway (node:http, 127.0.0.1), speaking the
// OpenAI wire format of bench/fault-wire.mjs: POST /v1/audio/transcriptions (multipart) -> {"text"}
// and POST /v1/audio/speech (JSON) -> audio bytes in the requested response_format. No faults.
// Each request is answered `delayMs` after its body has been read; stats() gives the time from the
// request's arrival to the end of the answer (the stub's own service time) per path.
// With `ttsStream: { firstByteMs }`, speech is streamed as OpenAI streams it (bench:stream --tts-stream):
// chunked 24 kHz PCM, its first 100 ms `firstByteMs` after the request, then 100 ms of audio every
// 100 ms, so the rest takes the sentence's own duration.
import { createServer } from "node:http";
import {
  answer,
  badRequest,
  badSpeechRequest,
  SPEECH_PATH,
  SPEECH_RATE,
  speechAnswer,
  wireOf,
} from "../fault-wire.mjs";

/** Streamed speech: `pcm` in real time, 100 ms a piece, the first `firstByteMs` after `arrived`. */
function streamSpeech(res, pcm, firstByteMs, arrived, done) {
  const pieceBytes = (SPEECH_RATE / 10) * 2;
  const timers = [];
  let at = 0;
  const send = () => {
    if (res.destroyed) return;
    if (at === 0) res.writeHead(200, { "content-type": "audio/pcm" });
    res.write(pcm.subarray(at, at + pieceBytes));
    at += pieceBytes;
    if (at >= pcm.length) return void res.end(done);
    // Due times from the request's arrival, so timer lateness does not add up over a long sentence.
    const due = arrived + firstByteMs + (at / pieceBytes) * 100;
    timers.push(setTimeout(send, Math.max(0, due - performance.now())));
  };
  timers.push(setTimeout(send, Math.max(0, arrived + firstByteMs - performance.now())));
  res.on("close", () => timers.forEach(clearTimeout));
}

export async function startProviderStub({ delayMs = 50, ttsStream } = {}) {
  const served = { transcriptions: [], speech: [] };
  let bad = 0;
  const server = createServer((req, res) => {
    const arrived = performance.now();
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url, "http://stub");
      const body = Buffer.concat(chunks);
      const reply = (status, payload, headers) =>
        setTimeout(() => {
          res.writeHead(status, { ...headers, "content-length": payload.length });
          res.end(payload, () => {
            const kind = url.pathname === SPEECH_PATH ? "speech" : "transcriptions";
            if (status === 200) served[kind].push(performance.now() - arrived);
          });
        }, delayMs);
      const wire = wireOf(req.method, url.pathname);
      if (wire === "openai") {
        const why = badRequest(wire, url, req.headers);
        if (why)
          return void (
            bad++,
            reply(400, Buffer.from(JSON.stringify({ error: { message: why } })), { "content-type": "application/json" })
          );
        const a = answer(wire, url, body);
        return void reply(200, Buffer.from(a.body), a.headers);
      }
      if (req.method === "POST" && url.pathname === SPEECH_PATH) {
        let json;
        try {
          json = JSON.parse(body.toString("utf8"));
        } catch {
          json = null;
        }
        const why = badSpeechRequest(json);
        if (why)
          return void (
            bad++,
            reply(400, Buffer.from(JSON.stringify({ error: { message: why } })), { "content-type": "application/json" })
          );
        const a = speechAnswer(json);
        if (ttsStream && json.response_format === "pcm")
          return void streamSpeech(res, a.body, ttsStream.firstByteMs, arrived, () =>
            served.speech.push(performance.now() - arrived),
          );
        return void reply(200, a.body, a.headers);
      }
      bad++;
      res.writeHead(404).end();
    });
  });
  await new Promise((res) => server.listen(0, "127.0.0.1", res));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    delayMs,
    /** Service times (ms) per path since the last reset, and the requests refused as malformed. */
    stats: () => ({ transcriptions: [...served.transcriptions], speech: [...served.speech], bad }),
    reset: () => {
      served.transcriptions.length = 0;
      served.speech.length = 0;
    },
    close: () => new Promise((res) => (server.closeAllConnections?.(), server.close(() => res()))),
  };
}
