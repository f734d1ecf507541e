import { describe, expect, it } from "vitest";
import balanceMulaw from "../fixtures/audio/balance-8k-mulaw.wav";
import balanceRaw from "../fixtures/audio/balance-8k.ulaw";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import silence from "../fixtures/audio/silence-2s-16k.wav";
import { api, expectProblem, tenant } from "../helpers/api";

describe("POST /api/v1/voice/transcribe", () => {
  it("transcribes keypad tones with the embedded detector", async () => {
    const { key } = await tenant();
    const res = await api("/api/v1/voice/transcribe?language=en-GB", {
      method: "POST",
      key,
      body: dtmfWav,
      headers: { "Content-Type": "audio/x-wav" },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ text: "1234#", source: "dtmf", language: "en-GB", provider: "local", region: "edge" });
    expect(body.audioDurationMs).toBeGreaterThan(700);
    expect(body.audioDurationMs).toBeLessThan(1200);
  });

  it("reports silence as an empty transcript", async () => {
    const { key } = await tenant();
    const res = await api("/api/v1/voice/transcribe", {
      method: "POST",
      key,
      body: silence,
      headers: { "Content-Type": "audio/wav" },
    });
    expect(await res.json()).toMatchObject({ text: "", audioDurationMs: 2000 });
  });

  it("accepts telephony mu-law (WAV and raw audio/basic) and refuses speech without a provider", async () => {
    const { key } = await tenant();
    await expectProblem(
      await api("/api/v1/voice/transcribe", {
        method: "POST",
        key,
        body: balanceMulaw,
        headers: { "Content-Type": "audio/wav" },
      }),
      503,
      "provider_unavailable",
    );
    await expectProblem(
      await api("/api/v1/voice/transcribe", {
        method: "POST",
        key,
        body: balanceRaw,
        headers: { "Content-Type": "audio/basic" },
      }),
      503,
      "provider_unavailable",
    );
  });

  it("refuses an unknown pinned provider", async () => {
    const { key } = await tenant();
    await expectProblem(
      await api("/api/v1/voice/transcribe?provider=nope", {
        method: "POST",
        key,
        body: dtmfWav,
        headers: { "Content-Type": "audio/wav" },
      }),
      400,
      "unknown_provider",
    );
  });
});

describe("POST /api/v1/voice/synthesize", () => {
  it("returns WAV audio with provider headers", async () => {
    const { key } = await tenant();
    const res = await api("/api/v1/voice/synthesize", {
      method: "POST",
      key,
      json: { text: "Your balance is forty two dollars." },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("audio/wav");
    expect(res.headers.get("X-Voice-Provider")).toBe("local");
    expect(res.headers.get("X-Voice-Region")).toBe("edge");
    expect(res.headers.get("X-Voice-Cache")).toBe("miss");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(String.fromCharCode(...bytes.subarray(8, 12))).toBe("WAVE");
    expect(bytes.byteLength).toBeGreaterThan(32000); // > 1 s at 16 kHz
  });

  it("returns 8 kHz mu-law as audio/basic", async () => {
    const { key } = await tenant();
    const res = await api("/api/v1/voice/synthesize", {
      method: "POST",
      key,
      json: { text: "Hello.", format: "mulaw" },
    });
    expect(res.headers.get("Content-Type")).toBe("audio/basic");
  });

  it("answers a language no engine speaks with 422 unsupported_language, never a 503 with Retry-After", async () => {
    const { key } = await tenant();
    for (let i = 0; i < 3; i++) {
      // Asked again, the answer stays the same: the refusal never opens a breaker or turns into an outage.
      const res = await api("/api/v1/voice/synthesize", {
        method: "POST",
        key,
        json: { text: "hallo", language: "de-DE" },
      });
      expect(res.headers.get("Retry-After")).toBeNull();
      const problem = await expectProblem(res, 422, "unsupported_language");
      expect(problem.detail).toContain("local engine speaks English only");
    }
  });

  it("refuses bad requests", async () => {
    const { key } = await tenant();
    await expectProblem(
      await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: "" } }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: "x".repeat(5001) } }),
      422,
      "text_too_long",
    );
    await expectProblem(
      await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: "hi", format: "mp3" } }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: "hi", sampleRate: 11025 } }),
      400,
      "invalid_request",
    );
  });
});

describe("TTS cache", () => {
  it("serves a repeated synthesis from the cache", async () => {
    const { key } = await tenant();
    const body = { text: "Please hold while I transfer you.", format: "wav" };
    const first = await api("/api/v1/voice/synthesize", { method: "POST", key, json: body });
    expect(first.headers.get("X-Voice-Cache")).toBe("miss");
    const firstBytes = new Uint8Array(await first.arrayBuffer());
    const second = await api("/api/v1/voice/synthesize", { method: "POST", key, json: body });
    expect(second.headers.get("X-Voice-Cache")).toBe("hit");
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(firstBytes);
    const otherRate = await api("/api/v1/voice/synthesize", {
      method: "POST",
      key,
      json: { ...body, sampleRate: 8000 },
    });
    expect(otherRate.headers.get("X-Voice-Cache")).toBe("miss");
  });

  it("does not share cached speech between tenants", async () => {
    const a = await tenant();
    const b = await tenant();
    const body = { text: "Your balance is twelve dollars." };
    await api("/api/v1/voice/synthesize", { method: "POST", key: a.key, json: body });
    const res = await api("/api/v1/voice/synthesize", { method: "POST", key: b.key, json: body });
    expect(res.headers.get("X-Voice-Cache")).toBe("miss");
  });
});
