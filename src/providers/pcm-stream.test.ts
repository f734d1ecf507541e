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
});
