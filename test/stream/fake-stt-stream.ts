import { vi } from "vitest";

/**
 * A fake Deepgram for live-stream tests: streaming recognition on /v1/listen (Nova) and /v2/listen
 * (Flux) over a WebSocketPair, as src/providers/stt-stream-contract.ts plays a provider, and batch
 * recognition on POST /v1/listen; and a fake AssemblyAI (Universal-Streaming v3 on /v3/ws) playing
 * the same scripts, for a second streaming provider. The provider's side runs in the call object's context (it is
 * answered from the object's fetch), so it plays by a script decided in advance, reacting to the
 * audio it receives, never to the test: it hears speech by energy in 10 ms blocks, reveals one more
 * word of the script per `wordMs` of speech as an interim, and ends the turn after `endSilenceMs`
 * of silence. The test reads what it recorded (plain data, which crosses contexts).
 */

export interface FakeScript {
  /** What the caller says; revealed word by word. */
  words: string[];
  /** Speech per revealed word (default 150 ms). */
  wordMs?: number;
  /** Silence after speech that ends the turn (default 250 ms). */
  endSilenceMs?: number;
  /** Never ends the turn: only finishing the stream (CloseStream) makes it say what it heard. */
  noEndOfTurn?: boolean;
  /** Drops the socket (close 1011) once this much audio has arrived. */
  dropAfterMs?: number;
  /** Refuses the WebSocket upgrade with this HTTP status (no socket). */
  refuseStatus?: number;
  /** Flux: EagerEndOfTurn after this much silence, and TurnResumed if speech comes back. */
  eagerSilenceMs?: number;
}

export interface FakeSocket {
  path: string;
  /** The status the upgrade was refused with; such a socket never opened. */
  refused?: number;
  audioMs: number;
  /** Text frames the adapter sent (Finalize, CloseStream, KeepAlive). */
  texts: string[];
  /** What the provider sent, by event name, in order. */
  sent: string[];
  closed: boolean;
}

export interface FakeDeepgram {
  /** Scripts for the sockets opened, in order; the last one is reused. */
  scripts: FakeScript[];
  sockets: FakeSocket[];
  /** Bytes of each batch request's body. */
  batch: number[];
  batchTranscript: string;
}

const RATE = 16000;
const BLOCK = RATE / 100;

export const DEEPGRAM_STREAMING = {
  STT_PROVIDERS: "deepgram",
  STT_STREAMING_PROVIDERS: "deepgram",
  DEEPGRAM_API_KEY: "dg-test-key",
};
export const DEEPGRAM_FLUX = {
  ...DEEPGRAM_STREAMING,
  DEEPGRAM_STREAMING_MODEL: "flux-general-en",
  DEEPGRAM_EAGER_EOT_THRESHOLD: "0.5",
};

/**
 * Stubs fetch: Deepgram (both kinds), and `other` for anything else (e.g. a TTS stub); unknown
 * URLs throw.
 */
export function fakeDeepgram(
  scripts: FakeScript[],
  other?: (req: Request) => Promise<Response> | undefined,
): FakeDeepgram {
  const fake: FakeDeepgram = { scripts, sockets: [], batch: [], batchTranscript: "batch transcript" };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.host === "api.deepgram.com" && req.headers.get("Upgrade") === "websocket") {
      return upgrade(fake, url.pathname, url.pathname === "/v2/listen" ? "flux" : "nova");
    }
    if (url.host === "api.deepgram.com") {
      fake.batch.push((await req.arrayBuffer()).byteLength);
      return Response.json({
        metadata: { request_id: "r1" },
        results: { channels: [{ alternatives: [{ transcript: fake.batchTranscript, confidence: 0.9, words: [] }] }] },
      });
    }
    const answer = other?.(req);
    if (answer) return answer;
    throw new Error(`unexpected fetch ${req.url}`);
  });
  return fake;
}

export interface FakeAssemblyAi {
  /** Scripts for the sockets opened, in order; the last one is reused. */
  scripts: FakeScript[];
  sockets: FakeSocket[];
  /** The `other` of fakeDeepgram: answers AssemblyAI's upgrades. */
  fetch: (req: Request) => Promise<Response> | undefined;
}

/** Streaming by Deepgram, then by AssemblyAI (the fake below); batch recognition by Deepgram. */
export const DEEPGRAM_THEN_ASSEMBLYAI = {
  ...DEEPGRAM_STREAMING,
  STT_STREAMING_PROVIDERS: "deepgram,assemblyai",
  ASSEMBLYAI_API_KEY: "aai-test-key",
};

/** A fake AssemblyAI on streaming.assemblyai.com, to pass to fakeDeepgram as its `other`. */
export function fakeAssemblyAi(scripts: FakeScript[]): FakeAssemblyAi {
  const fake: FakeAssemblyAi = { scripts, sockets: [], fetch: () => undefined };
  fake.fetch = (req) => {
    const url = new URL(req.url);
    if (url.host !== "streaming.assemblyai.com" || req.headers.get("Upgrade") !== "websocket") return undefined;
    return Promise.resolve(upgrade(fake, url.pathname, "assemblyai"));
  };
  return fake;
}

type Dialect = "nova" | "flux" | "assemblyai";

/** The next socket by the fake's scripts: refused, or played. */
function upgrade(fake: { scripts: FakeScript[]; sockets: FakeSocket[] }, path: string, dialect: Dialect): Response {
  const script = fake.scripts[Math.min(fake.sockets.length, fake.scripts.length - 1)]!;
  if (script.refuseStatus === undefined) return play(fake, path, script, dialect);
  fake.sockets.push({ path, refused: script.refuseStatus, audioMs: 0, texts: [], sent: [], closed: true });
  return Response.json({ err_code: "UNAVAILABLE", err_msg: "refused by the test" }, { status: script.refuseStatus });
}

function play(fake: { sockets: FakeSocket[] }, path: string, script: FakeScript, dialect: Dialect): Response {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  (server as { binaryType?: string }).binaryType = "arraybuffer";
  server.accept();
  const socket: FakeSocket = { path, audioMs: 0, texts: [], sent: [], closed: false };
  fake.sockets.push(socket);
  const flux = dialect === "flux";
  const assembly = assemblyAiFrames();
  const wordMs = script.wordMs ?? 150;
  const endSilenceMs = script.endSilenceMs ?? 250;
  let voicedMs = 0;
  let silenceMs = 0;
  let revealed = 0;
  let spoke = false;
  let eager = false;
  let dropped = false;
  let carry = new Int16Array(0);
  const transcript = () => script.words.slice(0, Math.max(1, revealed)).join(" ");

  const send = (name: string, frame: unknown) => {
    socket.sent.push(name);
    server.send(JSON.stringify(frame));
  };
  const interim = (text: string) => {
    if (dialect === "assemblyai") return send("Turn", assembly.turn(text, false));
    if (flux) return send("Update", { type: "TurnInfo", event: "Update", transcript: text, words: [] });
    send("interim", novaResults(text, false));
  };
  /** AssemblyAI ends a turn twice: unformatted, then formatted (the turn's text). */
  const assemblyEnd = (text: string) => {
    send("Turn", assembly.turn(text, true));
    send("EndOfTurn", { ...assembly.turn(text, true), turn_is_formatted: true });
  };
  const endOfTurn = () => {
    const text = script.words.join(" ");
    if (dialect === "assemblyai") assemblyEnd(text);
    else if (flux)
      send("EndOfTurn", { type: "TurnInfo", event: "EndOfTurn", transcript: text, words: fluxWords(text) });
    else send("speech_final", novaResults(text, true));
    spoke = false;
    eager = false;
    revealed = 0;
    voicedMs = 0;
  };

  if (dialect === "assemblyai") send("Begin", { type: "Begin", id: "session-1", expires_at: 0 });
  server.addEventListener("message", (event) => {
    if (typeof event.data === "string") {
      socket.texts.push(event.data);
      const type = (JSON.parse(event.data) as { type: string }).type;
      if (type === "CloseStream" || type === "Terminate") {
        // What it heard and did not end is its last word (Nova finalises; Flux sends an Update;
        // AssemblyAI ends the turn in flight, then says Termination).
        if (spoke && !dropped) {
          if (dialect === "assemblyai") assemblyEnd(transcript());
          else if (flux) interim(transcript());
          else send("final", { ...novaResults(transcript(), false), is_final: true, from_finalize: true });
        }
        if (dialect === "assemblyai") send("Termination", { type: "Termination" });
        socket.closed = true;
        server.close(1000, "");
      }
      return;
    }
    if (dropped) return;
    // 10 ms blocks across frames of any size (the pre-roll comes as one odd-sized frame).
    const fresh = new Int16Array((event.data as ArrayBuffer).slice(0));
    const samples = new Int16Array(carry.length + fresh.length);
    samples.set(carry);
    samples.set(fresh, carry.length);
    const whole = samples.length - (samples.length % BLOCK);
    carry = samples.slice(whole);
    for (let at = 0; at + BLOCK <= whole; at += BLOCK) {
      socket.audioMs += 10;
      if (script.dropAfterMs !== undefined && socket.audioMs >= script.dropAfterMs) {
        dropped = true;
        socket.closed = true;
        socket.sent.push("dropped");
        server.close(1011, "internal error");
        return;
      }
      if (loud(samples.subarray(at, at + BLOCK))) {
        if (eager) {
          eager = false;
          if (flux)
            send("TurnResumed", { type: "TurnInfo", event: "TurnResumed", transcript: transcript(), words: [] });
        }
        spoke = true;
        silenceMs = 0;
        voicedMs += 10;
        const due = Math.min(script.words.length, Math.floor(voicedMs / wordMs));
        if (due > revealed) {
          revealed = due;
          interim(transcript());
        }
        continue;
      }
      if (!spoke) continue;
      silenceMs += 10;
      if (flux && script.eagerSilenceMs !== undefined && silenceMs === script.eagerSilenceMs && !eager) {
        eager = true;
        send("EagerEndOfTurn", { type: "TurnInfo", event: "EagerEndOfTurn", transcript: transcript(), words: [] });
      }
      if (silenceMs === endSilenceMs && !script.noEndOfTurn) endOfTurn();
    }
  });
  server.addEventListener("close", () => (socket.closed = true));
  return new Response(null, { status: 101, webSocket: client });
}

/** AssemblyAI's Turn messages: the words so far, none final until the turn ends. */
function assemblyAiFrames() {
  let order = 0;
  return {
    turn(text: string, endOfTurn: boolean) {
      const words = text.split(" ").map((word, i) => ({
        text: word,
        start: i * 150,
        end: i * 150 + 140,
        confidence: 0.9,
        word_is_final: endOfTurn,
      }));
      const frame = {
        type: "Turn",
        turn_order: order,
        end_of_turn: endOfTurn,
        turn_is_formatted: false,
        transcript: endOfTurn ? text : "",
        words,
      };
      if (endOfTurn) order++;
      return frame;
    },
  };
}

function novaResults(text: string, speechFinal: boolean) {
  return {
    type: "Results",
    is_final: speechFinal,
    speech_final: speechFinal,
    channel: { alternatives: [{ transcript: text, confidence: 0.93, words: [] }] },
  };
}

function fluxWords(text: string) {
  return text.split(" ").map((word) => ({ word, confidence: 0.9 }));
}

function loud(block: Int16Array): boolean {
  let energy = 0;
  for (const s of block) energy += (s / 32768) ** 2;
  return 10 * Math.log10(energy / block.length + 1e-12) >= -40;
}
