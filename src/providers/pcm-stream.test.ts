import { describe, expect, it } from "vitest";
import { ProviderError } from "./errors";
import { PcmAligner, pcmChunks, PushSource } from "./pcm-stream";

const bytes = (...values: number[]) => new Uint8Array(values);

describe("PcmAligner", () => {
  it("carries an odd byte into the next piece, little-endian", () => {
    const aligner = new PcmAligner();
    expect(aligner.push(bytes(0x01))).toBeUndefined();
    expect([...aligner.push(bytes(0x02, 0xff))!]).toEqual([0x0201]);
    expect([...aligner.push(bytes(0xff, 0x00, 0x80))!]).toEqual([-1, -32768]);
    expect(aligner.push(bytes())).toBeUndefined();
  });
});

describe("pcmChunks", () => {
  const read = async (source: PushSource, options = {}) => {
    const out: number[] = [];
    try {
      for await (const chunk of pcmChunks(source, { provider: "p", sampleRate: 8000, idleTimeoutMs: 500, ...options }))
        out.push(...chunk.samples);
      return { out, error: undefined };
    } catch (error) {
      return { out, error: error as ProviderError };
    }
  };

  it("reads queued pieces before a failure, and makes a failure after audio retryable", async () => {
    const source = new PushSource(() => {});
    source.push(bytes(1, 0, 2));
    source.push(bytes(0));
    source.fail(new ProviderError("p", "permanent", "refused"));
    const { out, error } = await read(source);
    expect(out).toEqual([1, 2]);
    expect(error?.kind).toBe("retryable");
  });

  it("keeps a failure's kind before any audio", async () => {
    const source = new PushSource(() => {});
    source.fail(new ProviderError("p", "auth", "bad key"));
    expect((await read(source)).error?.kind).toBe("auth");
  });

  it("drops a trailing half sample rather than failing audio already heard", async () => {
    const source = new PushSource(() => {});
    source.push(bytes(1, 0, 7));
    source.end();
    expect(await read(source)).toEqual({ out: [1], error: undefined });
  });

  it("refuses a WAV answer to a raw PCM request, and lets PCM that looks like an MPEG frame sync through", async () => {
    const wav = new PushSource(() => {});
    wav.push(new TextEncoder().encode("RIFF\x24\x00\x00\x00WAVEfmt "));
    wav.end();
    expect((await read(wav, { refuseContainers: true })).error?.kind).toBe("invalid_response");
    const pcm = new PushSource(() => {});
    pcm.push(bytes(0xff, 0xff, 0xfb, 0x90, 0x64, 0x00, 0, 0, 0, 0, 0, 0));
    pcm.end();
    expect((await read(pcm, { refuseContainers: true })).out).toHaveLength(6);
  });

  it("cancels the source when the consumer leaves the loop", async () => {
    let cancelled = false;
    const source = new PushSource(() => (cancelled = true));
    source.push(bytes(1, 0));
    for await (const chunk of pcmChunks(source, { provider: "p", sampleRate: 8000, idleTimeoutMs: 500 }))
      if (chunk) break;
    expect(cancelled).toBe(true);
  });

  it("gives up, retryable, when the provider stalls for the idle bound; the source is cancelled", async () => {
    let cancelled = false;
    const source = new PushSource(() => (cancelled = true));
    source.push(bytes(1, 0));
    const started = Date.now();
    const { out, error } = await read(source, { idleTimeoutMs: 150 });
    expect(out).toEqual([1]);
    expect(error?.kind).toBe("retryable");
    expect(error?.message).toMatch(/no audio from the provider for 150 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(cancelled).toBe(true);
  });

  it("does not count the time the consumer holds a chunk as the provider's silence", async () => {
    const source = new PushSource(() => {});
    source.push(bytes(1, 0));
    const out: number[] = [];
    const chunks = pcmChunks(source, { provider: "p", sampleRate: 8000, idleTimeoutMs: 100 });
    for await (const chunk of chunks) {
      out.push(...chunk.samples);
      if (out.length === 1) {
        await new Promise((r) => setTimeout(r, 250)); // a consumer pacing its sends
        source.push(bytes(2, 0));
        source.end();
      }
    }
    expect(out).toEqual([1, 2]);
  });
});
