import { afterEach, describe, expect, it, vi } from "vitest";
import toneWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import { api, startCall, tenant } from "../helpers/api";

// OWASP API7:2023 Server Side Request Forgery: no request field is ever used as a URL. Provider
// hosts come only from configuration (and the region catalog); a URL in a pin, a voice, a
// language, metadata, context or a header is refused or treated as an opaque string. With only
// the embedded engine configured, the Worker must make no outbound request at all.

afterEach(() => vi.restoreAllMocks());

const EVIL = [
  "http://169.254.169.254/latest/meta-data/",
  "http://localhost:8787/api/v1/admin/keys",
  "https://evil.example/x",
  "file:///etc/passwd",
  "gopher://evil.example:25/",
];

describe("server-side request forgery", () => {
  it("fetches nothing, whatever URL a request carries", async () => {
    const outbound = vi.spyOn(globalThis, "fetch");
    const { key } = await tenant();
    for (const url of EVIL) {
      const synth = await api("/api/v1/voice/synthesize", {
        method: "POST",
        key,
        json: { text: "hello", provider: url },
      });
      expect(synth.status, url).toBeGreaterThanOrEqual(400);
      expect(synth.status, url).toBeLessThan(500);
      await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: url, voice: url } });
      await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: "hi", language: url } });
      const pinned = await api(`/api/v1/voice/transcribe?provider=${encodeURIComponent(url)}`, {
        method: "POST",
        key,
        body: toneWav,
        headers: { "Content-Type": "audio/wav" },
      });
      expect(pinned.status, url).toBeGreaterThanOrEqual(400);
      expect(pinned.status, url).toBeLessThan(500);
      const callId = await startCall(key, { metadata: { webhook: url, callback_url: url }, context: { url } });
      await api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: url },
        headers: { Referer: url, "X-Forwarded-Host": url, Forwarded: `host=${url}` },
      });
      await api(`/api/v1/calls/${callId}`, { method: "PATCH", key, json: { context: { recordingUrl: url } } });
    }
    expect(outbound).not.toHaveBeenCalled();
  });
});
