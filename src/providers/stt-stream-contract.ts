/**
 * The contract every streaming recogniser (streaming.ts StreamingSpeechToText) keeps, run over each
 * by stt-stream-contract.test.ts. Test-only: nothing in the Worker imports it.
 *
 * The adapter's socket opener is handed one end of a WebSocketPair; the test plays the provider on
 * the other end with the frames and close codes the provider documents (each fixture says which).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProviderError } from "./errors";
import type { SttStreamEvent, StreamingSpeechToText } from "./streaming";

/** The provider's end of one socket: what the adapter sent, and frames and closes to send it. */
export class ProviderEnd {
  readonly texts: string[] = [];
  readonly binary: Uint8Array[] = [];
  /** Everything in arrival order, binary frames as "<audio N bytes>". */
  readonly log: string[] = [];
  closedWith: number | undefined;
  readonly client: WebSocket;
  private readonly server: WebSocket;

  constructor() {
    const pair = new WebSocketPair();
    this.client = pair[0];
    this.server = pair[1];
    // workerd may hand binary frames over as Blobs (the standard default); the test reads bytes at once.
    (this.server as { binaryType?: string }).binaryType = "arraybuffer";
    this.server.accept();
    this.server.addEventListener("message", (event) => {
      if (typeof event.data === "string") {
        this.texts.push(event.data);
        this.log.push(event.data);
      } else {
        const bytes = new Uint8Array(event.data as ArrayBuffer);
        this.binary.push(bytes);
        this.log.push(`<audio ${bytes.length} bytes>`);
      }
    });
    this.server.addEventListener("close", (event) => (this.closedWith = event.code));
  }

  /** The upgrade's answer, as fetch or the AI binding hands it to the adapter. */
  accepted(): Response {
    return new Response(null, { status: 101, webSocket: this.client });
  }

  send(frame: unknown): void {
    this.server.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Closes with `code`, or with no status code at all (the client then sees 1005). */
  close(code?: number, reason = ""): void {
    if (code === undefined) this.server.close();
    else this.server.close(code, reason);
  }

  audioBytes(): number {
    return this.binary.reduce((n, b) => n + b.length, 0);
  }
}

/** What a test does with the adapter's call to open the socket. */
export type Opener = (signal: AbortSignal) => Promise<Response>;

export interface StreamFixture {
  label: string;
  /** The adapter, with its opener (fetch, or the AI binding) answered by `open`. */
  build(open: Opener, timeoutMs: number): StreamingSpeechToText;
  /** A credential the adapter sends, which no error may quote; none for the AI binding. */
  secret?: string;
  /** A frame with a partial transcript. */
  interim(text: string): unknown;
  /** Frames with which the provider ends a turn whose transcript is `text`. */
  endOfTurn(text: string): unknown[];
  /** The provider's documented error report (frames and a close code) quoting `text`, and what it means. */
  providerError: { send(end: ProviderEnd, text: string): void; kind: ProviderError["kind"]; says: string };
  /** Text frames the adapter sends to finish, in order. */
  finishFrames: string[];
  /** How the provider answers them: its last frames, then its close code. */
  finishAnswer(end: ProviderEnd): void;
  /** The frame the adapter sends on an idle socket, if the provider needs one. */
  keepAlive?: string;
  /** Audio frame bounds in bytes, if the provider has them. */
  frameBytes?: { min: number; max: number };
}

/** Records a stream's events; `waitFor` polls with real timers (vi.waitFor) even under fake ones. */
export function recorder() {
  const events: SttStreamEvent[] = [];
  return {
    events,
    onEvent: (event: SttStreamEvent) => events.push(event),
    types: () => events.map((e) => e.type),
    errors: () => events.filter((e) => e.type === "error").map((e) => (e as { error: ProviderError }).error),
  };
}

export const OPTIONS = { language: "en-US", sampleRate: 16000 };
const SPEECH = () => Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));

export function sttStreamContract(fixture: StreamFixture): void {
  describe(`${fixture.label}: the streaming STT contract`, () => {
    afterEach(() => vi.useRealTimers());

    async function connected(timeoutMs = 5000, sampleRate = OPTIONS.sampleRate) {
      const end = new ProviderEnd();
      const rec = recorder();
      const stream = await fixture
        .build(() => Promise.resolve(end.accepted()), timeoutMs)
        .open({ ...OPTIONS, sampleRate }, rec.onEvent);
      return { end, rec, stream };
    }

    async function afterSilence(ms = 30) {
      await new Promise((resolve) => setTimeout(resolve, ms));
    }

    it("reports the partial transcript first, and the turn's text at the provider's end of turn", async () => {
      const { end, rec, stream } = await connected();
      stream.send(SPEECH());
      end.send(fixture.interim("what is my"));
      for (const frame of fixture.endOfTurn("What is my balance?")) end.send(frame);
      await vi.waitFor(() => expect(rec.types()).toContain("end_of_turn"));
      const interim = rec.types().indexOf("interim");
      expect(interim).toBeGreaterThanOrEqual(0);
      expect(interim).toBeLessThan(rec.types().indexOf("end_of_turn"));
      expect(rec.events.find((e) => e.type === "interim")).toMatchObject({ text: "what is my" });
      expect(rec.events.find((e) => e.type === "end_of_turn")).toMatchObject({ text: "What is my balance?" });
      expect(rec.errors()).toEqual([]);
      stream.close();
    });

    it("queues audio sent before the socket is open and sends all of it, in order, once it is", async () => {
      const end = new ProviderEnd();
      let answer: (res: Response) => void = () => {};
      const rec = recorder();
      const stream = await fixture
        .build(() => new Promise((resolve) => (answer = resolve)), 5000)
        .open(OPTIONS, rec.onEvent);
      const first = SPEECH();
      stream.send(first);
      stream.send(SPEECH());
      await afterSilence();
      expect(end.binary).toEqual([]);
      answer(end.accepted());
      await vi.waitFor(() => expect(end.audioBytes()).toBe(2 * 2 * 1600));
      const sent = new Int16Array(end.binary[0]!.buffer.slice(0, 3200));
      expect(sent).toEqual(first); // 16 kHz in, 16 kHz out: the very samples, little-endian
      expect(rec.errors()).toEqual([]);
      stream.close();
    });

    it("resamples to the socket's 16 kHz: one second at 8 kHz reaches the provider as 32,000 bytes", async () => {
      const { end, rec, stream } = await connected(5000, 8000);
      for (let i = 0; i < 50; i++) stream.send(new Int16Array(160).fill(1000)); // 20 ms chunks
      const finished = stream.finish();
      await vi.waitFor(() => expect(end.texts).toEqual(expect.arrayContaining(fixture.finishFrames)));
      const bytes = end.audioBytes();
      const pad = fixture.frameBytes?.min ?? 0; // a provider with a minimum frame gets the last one padded
      expect(bytes).toBeGreaterThanOrEqual(32_000);
      expect(bytes).toBeLessThanOrEqual(32_000 + pad);
      if (fixture.frameBytes)
        for (const frame of end.binary) {
          expect(frame.length).toBeGreaterThanOrEqual(fixture.frameBytes.min);
          expect(frame.length).toBeLessThanOrEqual(fixture.frameBytes.max);
        }
      fixture.finishAnswer(end);
      await finished;
      expect(rec.errors()).toEqual([]);
    });

    if (fixture.keepAlive) {
      const keepAlive = fixture.keepAlive;
      it("sends the provider's keep-alive every 4 s while no audio flows, and none while audio does", async () => {
        // Date too: the keep-alive's deadline measures the silence on the clock (lib/wait-deadline.ts).
        vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
        const { end, stream } = await connected();
        await vi.waitFor(() => expect(end.closedWith).toBeUndefined());
        for (let i = 0; i < 10; i++) {
          stream.send(SPEECH());
          vi.advanceTimersByTime(1000); // audio every second: never idle for 4 s
        }
        await afterSilenceReal();
        expect(end.texts.filter((t) => t === keepAlive)).toEqual([]);
        vi.advanceTimersByTime(4000);
        await vi.waitFor(() => expect(end.texts.filter((t) => t === keepAlive)).toHaveLength(1));
        vi.advanceTimersByTime(8000);
        await vi.waitFor(() => expect(end.texts.filter((t) => t === keepAlive)).toHaveLength(3));
        stream.close();
      });
    }

    it("finish() sends the finish frames after the audio and resolves when the provider closes", async () => {
      const { end, rec, stream } = await connected();
      stream.send(SPEECH());
      end.send(fixture.interim("card number"));
      const finished = stream.finish();
      await vi.waitFor(() => expect(end.texts.slice(-fixture.finishFrames.length)).toEqual(fixture.finishFrames));
      expect(end.log.indexOf(fixture.finishFrames[0]!)).toBeGreaterThan(
        end.log.findIndex((l) => l.startsWith("<audio")),
      );
      let done = false;
      void finished.then(() => (done = true));
      await afterSilence();
      expect(done).toBe(false); // it waits for the provider's answer
      fixture.finishAnswer(end);
      await finished;
      expect(rec.errors()).toEqual([]);
      const last = rec.events.at(-1);
      expect(last).toMatchObject({ type: "end_of_turn" }); // what it heard is not lost with the socket
    });

    it("finish() gives up on a provider that never closes, within its timeout", async () => {
      const end = new ProviderEnd();
      const rec = recorder();
      const stream = await fixture.build(() => Promise.resolve(end.accepted()), 200).open(OPTIONS, rec.onEvent);
      stream.send(SPEECH());
      const started = Date.now();
      await stream.finish();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(rec.errors()).toEqual([]);
    });

    it("a socket dropped mid-utterance is one retryable error, and nothing after it", async () => {
      const { end, rec, stream } = await connected();
      stream.send(SPEECH());
      end.send(fixture.interim("my account"));
      await vi.waitFor(() => expect(rec.types()).toContain("interim"));
      end.close(1001, "going away");
      await vi.waitFor(() => expect(rec.types()).toContain("error"));
      stream.send(SPEECH());
      await stream.finish();
      await afterSilence();
      expect(rec.types().filter((t) => t === "error")).toHaveLength(1);
      expect(rec.types().at(-1)).toBe("error");
      expect(rec.errors()[0]).toBeInstanceOf(ProviderError);
      expect(rec.errors()[0]!.kind).toBe("retryable");
    });

    it("the provider's error report is one error event of the documented kind, its credential masked", async () => {
      const { end, rec, stream } = await connected();
      stream.send(SPEECH());
      const says = `${fixture.providerError.says} (request from ${fixture.secret ?? "a binding"})`;
      fixture.providerError.send(end, says);
      await vi.waitFor(() => expect(rec.types()).toContain("error"));
      await afterSilence();
      expect(rec.errors()).toHaveLength(1);
      expect(rec.types().at(-1)).toBe("error");
      const err = rec.errors()[0]!;
      expect(err.kind).toBe(fixture.providerError.kind);
      expect(err.message).toContain(fixture.providerError.says);
      if (fixture.secret) expect(JSON.stringify(err) + err.message).not.toContain(fixture.secret);
    });

    it("no answer to the upgrade within the timeout is a retryable error, and the upgrade is abandoned", async () => {
      const rec = recorder();
      let aborted = false;
      const stream = await fixture
        .build(
          (signal) =>
            new Promise<Response>(() => signal.addEventListener("abort", () => (aborted = true), { once: true })),
          150,
        )
        .open(OPTIONS, rec.onEvent);
      stream.send(SPEECH());
      await vi.waitFor(() => expect(rec.types()).toEqual(["error"]), { timeout: 3000 });
      expect(rec.errors()[0]!.kind).toBe("retryable");
      expect(rec.errors()[0]!.message).toMatch(/within 150 ms/);
      expect(aborted).toBe(true); // the hanging upgrade is abandoned, not left to open later
    });

    it("reports the handshake once through onOpen when the upgrade is answered, never when refused", async () => {
      const end = new ProviderEnd();
      let answer: (res: Response) => void = () => {};
      let opened = 0;
      const stream = await fixture
        .build(() => new Promise((resolve) => (answer = resolve)), 5000)
        .open({ ...OPTIONS, onOpen: () => opened++ }, recorder().onEvent);
      await afterSilence();
      expect(opened).toBe(0); // open() resolved before the handshake
      answer(end.accepted());
      await vi.waitFor(() => expect(opened).toBe(1));
      stream.close();
      const refused = recorder();
      await fixture
        .build(() => Promise.resolve(new Response("busy", { status: 503 })), 5000)
        .open({ ...OPTIONS, onOpen: () => opened++ }, refused.onEvent);
      await vi.waitFor(() => expect(refused.types()).toEqual(["error"]));
      expect(opened).toBe(1);
    });

    it.each([
      [401, "auth"],
      [403, "auth"],
      [429, "retryable"],
      [503, "retryable"],
    ] as const)("an upgrade refused with %i is %s, and never quotes the credential", async (status, kind) => {
      const rec = recorder();
      const echo = `refused; you sent Authorization: Token ${fixture.secret ?? "none"} and ${fixture.secret ?? ""}`;
      await fixture.build(() => Promise.resolve(new Response(echo, { status })), 5000).open(OPTIONS, rec.onEvent);
      await vi.waitFor(() => expect(rec.types()).toEqual(["error"]));
      const err = rec.errors()[0]!;
      expect(err.kind).toBe(kind);
      expect(err.options.status).toBe(status);
      if (fixture.secret) {
        for (const text of [err.message, String(err), JSON.stringify(err)]) expect(text).not.toContain(fixture.secret);
        expect(err.message).toContain("***");
      }
    });
  });
}

async function afterSilenceReal() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
}
