// A fake Deepgram streaming recogniser for bench:stream --stt-stream (a self-hosted Deepgram, as
// DEEPGRAM_BASE_URL points the adapter at it): a WebSocket server (the `ws` package, already a
// devDependency) on 127.0.0.1 speaking Nova's /v1/listen messages. It hears speech by energy in
// 10 ms blocks of the 16 kHz linear16 audio it receives, sends an interim `Results` per 300 ms of
// speech, and ends the turn (`Results` with is_final and speech_final) once `endOfTurnMs` of
// silence follows the speech, i.e. `endOfTurnMs` after the last speech frame when the audio comes
// in real time. `Finalize` is answered with nothing new, `CloseStream` with a close 1000, as
// Deepgram does. stats() counts sockets and turns ended.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const RATE = 16000;
const BLOCK = RATE / 100; // 10 ms
const INTERIM_EVERY_MS = 300;

export async function startFakeSttStream({ endOfTurnMs = 250, transcript = "I want to talk to an agent" } = {}) {
  const stats = { sockets: 0, open: 0, turns: 0, maxOpen: 0 };
  const words = transcript.split(" ");
  const http = createServer((req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ server: http, path: "/v1/listen" });
  wss.on("connection", (ws) => {
    stats.sockets++;
    stats.maxOpen = Math.max(stats.maxOpen, ++stats.open);
    let carry = Buffer.alloc(0);
    let voicedMs = 0;
    let silenceMs = 0;
    let spoke = false;
    const results = (text, final) =>
      ws.send(
        JSON.stringify({
          type: "Results",
          is_final: final,
          speech_final: final,
          channel: { alternatives: [{ transcript: text, confidence: 0.95, words: [] }] },
        }),
      );
    ws.on("message", (data, binary) => {
      if (!binary) {
        if (JSON.parse(data.toString()).type === "CloseStream") ws.close(1000);
        return;
      }
      const bytes = Buffer.concat([carry, data]);
      const whole = bytes.length - (bytes.length % (BLOCK * 2));
      carry = bytes.subarray(whole);
      for (let at = 0; at < whole; at += BLOCK * 2) {
        let energy = 0;
        for (let i = at; i < at + BLOCK * 2; i += 2) energy += (bytes.readInt16LE(i) / 32768) ** 2;
        if (10 * Math.log10(energy / BLOCK + 1e-12) >= -40) {
          spoke = true;
          silenceMs = 0;
          voicedMs += 10;
          if (voicedMs % INTERIM_EVERY_MS === 0) {
            const n = Math.min(words.length, voicedMs / INTERIM_EVERY_MS);
            results(words.slice(0, n).join(" "), false);
          }
        } else if (spoke && (silenceMs += 10) === endOfTurnMs) {
          results(transcript, true);
          stats.turns++;
          spoke = false;
          voicedMs = 0;
        }
      }
    });
    ws.on("close", () => stats.open--);
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address();
  return {
    url: `http://127.0.0.1:${port}`,
    endOfTurnMs,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}
