import type { Frame } from "./arbitraries";
import { problemShape, type FuzzWorld, type Stats } from "./harness";

/**
 * One generated session on GET /api/v1/calls/{callId}/stream: the frames are sent, then a probe
 * (an unknown message type) whose answer, an `error` or a close, shows the server has read them
 * all; turns the frames started are awaited too. Every server message must be JSON with a `type`,
 * every `error` problem details with a `code` and a status under 500, and every close one of the
 * documented codes (docs/streaming.md), never 1011.
 */

/** Close codes a server may use (src/stream/protocol.ts CLOSE), 1011 (internal error) excepted. */
export const DOCUMENTED_CLOSES = new Set([1000, 1003, 1007, 1008, 1009, 4404, 4410]);

const PROBE = JSON.stringify({ type: "fuzz_probe" });

export interface StreamOutcome {
  closeCode: number | null;
  errors: string[];
  ended: boolean;
}

export async function runFrames(
  world: FuzzWorld,
  stats: Stats,
  ws: WebSocket,
  frames: Frame[],
  /** The frames hold an utterance: wait a little for its turn (it starts after the probe is answered). */
  speech = false,
): Promise<StreamOutcome> {
  const outcome: StreamOutcome = { closeCode: null, errors: [], ended: false };
  const faults: string[] = [];
  let probed = false;
  let probeAnswered = false;
  let transcripts = 0;
  let finished = 0;
  let wake: () => void = () => undefined;

  ws.accept();
  ws.addEventListener("message", (event) => {
    if (typeof event.data !== "string") return; // reply audio
    let msg: unknown;
    try {
      msg = JSON.parse(event.data);
    } catch {
      faults.push(`a text frame that is not JSON: ${event.data.slice(0, 200)}`);
      return wake();
    }
    const type = (msg as { type?: unknown } | null)?.type;
    if (typeof type !== "string") faults.push(`a message without a type: ${event.data.slice(0, 200)}`);
    if (type === "transcript") transcripts++;
    if (type === "metrics") finished++;
    if (type === "ended") outcome.ended = true;
    if (type === "error") {
      const p = problemShape({ ...(msg as object), type: "about:blank" });
      if (typeof p === "string") faults.push(`an error message with ${p}: ${event.data.slice(0, 300)}`);
      else {
        outcome.errors.push(p.code);
        stats.wsErrors.set(p.code, (stats.wsErrors.get(p.code) ?? 0) + 1);
        if (p.status >= 500) faults.push(`an error message with status ${p.status}: ${event.data.slice(0, 300)}`);
        if (p.code === "unknown_message_type" && probed) probeAnswered = true;
        else if (transcripts > finished) finished++; // a failed turn ends with its error
      }
    }
    wake();
  });
  ws.addEventListener("close", (event) => {
    outcome.closeCode = event.code;
    stats.wsCloses.set(event.code, (stats.wsCloses.get(event.code) ?? 0) + 1);
    if (!DOCUMENTED_CLOSES.has(event.code)) faults.push(`closed with ${event.code} ${event.reason}`);
    wake();
  });

  const sendable = () => outcome.closeCode === null;
  for (const f of frames) {
    if (!sendable()) break;
    try {
      ws.send("text" in f ? f.text : f.bytes);
    } catch (err) {
      faults.push(`send failed on an open socket: ${String(err)}`);
      break;
    }
  }
  if (sendable()) {
    probed = true;
    ws.send(PROBE);
  }
  const deadline = Date.now() + 30_000;
  let speechDeadline = Infinity;
  const settled = () => {
    if (outcome.closeCode !== null) return true;
    if (!probeAnswered || finished < transcripts) return false;
    if (!speech || transcripts > 0) return true;
    if (speechDeadline === Infinity) speechDeadline = Date.now() + 1500;
    return Date.now() > speechDeadline;
  };
  while (!settled()) {
    if (Date.now() > deadline) {
      faults.push(`no answer to the probe within 30 s (transcripts ${transcripts}, turns finished ${finished})`);
      break;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  if (outcome.closeCode === null) {
    try {
      ws.close(1000, "fuzz done");
    } catch {
      // closed meanwhile
    }
  }
  if (outcome.ended || outcome.closeCode === 4410) world.retireScratch();
  if (faults.length) throw new Error(faults.join("; "));
  return outcome;
}
