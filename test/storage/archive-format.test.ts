import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeWav } from "../../src/audio/wav";
import type { SessionRecord } from "../../src/call/records";
import { ArchiveFormatError, decodeArchive, encodeArchive } from "../../src/storage/archive-container";
import type { CallArchive } from "../../src/storage/archive-types";
import { putObject } from "../../src/storage/cold-store";
import { coldKeys } from "../../src/storage/layout";
import { api, tenant, uid } from "../helpers/api";

// The cold copy's layout (src/storage/archive-container.ts): version 4 is one object holding the
// transcript and the call's audio; archives written before it (JSON + a bundle object) still read.

function session(tenantId: string, callId: string): SessionRecord {
  const at = "2026-11-20T10:00:00.000Z";
  return {
    tenantId,
    callId,
    userId: null,
    language: "en-US",
    flow: "banking",
    state: "menu",
    context: {},
    metadata: {},
    status: "ended",
    endReason: "client",
    createdAt: at,
    lastActivityAt: at,
    endedAt: at,
    turnCount: 1,
    archivedAt: at,
    residency: null,
  };
}

function tone(ms: number, rate: number): Int16Array {
  const out = new Int16Array((rate * ms) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

describe("archive container", () => {
  it("round-trips the transcript and the audio pieces, and reads a JSON-only archive with no audio", () => {
    const archive = {
      version: 4,
      archivedAt: "t",
      session: session("t", "c"),
      history: [],
      audio: [],
      recordingKey: null,
    } as CallArchive;
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    const { archive: back, audio } = decodeArchive(encodeArchive(archive, [a, b]));
    expect(back).toEqual(archive);
    expect([...audio]).toEqual([1, 2, 3, 4, 5]);
    const older = decodeArchive(new TextEncoder().encode(JSON.stringify({ ...archive, version: 3 })));
    expect(older.archive.version).toBe(3);
    expect(older.audio.byteLength).toBe(0);
  });

  it("refuses a container whose transcript runs past its end", () => {
    const body = new Uint8Array(encodeArchive({ version: 4 } as CallArchive, []));
    expect(() => decodeArchive(body.slice(0, body.byteLength - 1))).toThrow(ArchiveFormatError);
  });
});

describe("archives written before version 4", () => {
  it(
    "serves a version 3 archive " +
      "(transcript.json + audio.bin bundle) cold: " +
      "the call and each turn's recording",
    async () => {
      const { tenantId, key } = await tenant();
      const callId = uid("v3");
      const caller = encodeWav(tone(200, 8000), 8000);
      const reply = encodeWav(tone(300, 8000), 8000);
      const bundleKey = coldKeys.audioBundle(tenantId, callId);
      await putObject(env, env.ARCHIVE, bundleKey, new Uint8Array([...caller, ...reply]), "application/octet-stream");
      const archive: CallArchive = {
        version: 3,
        archivedAt: "2026-11-20T10:00:00.000Z",
        session: session(tenantId, callId),
        history: [
          { turnId: "turn-1", role: "user", text: "billing", at: "2026-11-20T10:00:00.000Z", source: "speech" },
          { turnId: "turn-1", role: "assistant", text: "Your bill is ready.", at: "2026-11-20T10:00:00.000Z" },
        ],
        audio: [
          {
            turnId: "turn-1",
            kind: "caller",
            mediaType: "audio/wav",
            format: "wav",
            sampleRate: 8000,
            key: bundleKey,
            offset: 0,
            bytes: caller.byteLength,
          },
          {
            turnId: "turn-1",
            kind: "reply",
            mediaType: "audio/wav",
            format: "wav",
            sampleRate: 8000,
            key: bundleKey,
            offset: caller.byteLength,
            bytes: reply.byteLength,
          },
        ],
        recordingKey: null,
      };
      await putObject(
        env,
        env.ARCHIVE,
        coldKeys.transcript(tenantId, callId),
        JSON.stringify(archive),
        "application/json",
      );

      const view = await api(`/api/v1/calls/${callId}`, { key });
      expect(view.status).toBe(200);
      const body = (await view.json()) as { tier: string; history: { text: string }[] };
      expect(body.tier).toBe("cold");
      expect(body.history.map((h) => h.text)).toEqual(["billing", "Your bill is ready."]);
      const recording = await api(`/api/v1/calls/${callId}/recording?turnId=turn-1`, { key });
      expect(recording.status).toBe(200);
      expect(recording.headers.get("X-Voice-Tier")).toBe("cold");
      // Both pieces at 8 kHz with the recording's gap between them: 200 ms + 300 ms of audio, and more.
      const wav = new Uint8Array(await recording.arrayBuffer());
      expect(wav.byteLength).toBeGreaterThan(44 + ((200 + 300) * 8000 * 2) / 1000);
    },
  );
});
