import { env } from "cloudflare:workers";
import { readTranscript } from "../../src/storage/cold-store";
import { callPrefix } from "../../src/storage/layout";
import { describe, expect, it } from "vitest";
import { api, expectProblem, startCall, tenant } from "../helpers/api";

interface CallBody {
  callId: string;
  status: string;
  tier: string;
  context: Record<string, unknown>;
  history: { turnId: string; role: string; text: string; intent?: { name: string } }[];
}

describe("call lifecycle", () => {
  it("starts a call with a spoken greeting", async () => {
    const { key } = await tenant();
    const res = await api("/api/v1/calls", {
      method: "POST",
      key,
      json: { callId: "c-greet", userId: "u1", metadata: { channel: "web" } },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
    const body = (await res.json()) as {
      callId: string;
      status: string;
      createdAt: string;
      expiresAt: string;
      greeting: { text: string; audio: { format: string; sampleRate: number; base64: string } };
    };
    expect(body.callId).toBe("c-greet");
    expect(body.status).toBe("active");
    expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt)).toBe(300_000);
    expect(body.greeting.text).toMatch(/thank|welcome|hello/i);
    expect(body.greeting.audio.format).toBe("wav");
    const wav = Uint8Array.from(atob(body.greeting.audio.base64), (ch) => ch.charCodeAt(0));
    expect(String.fromCharCode(...wav.subarray(0, 4))).toBe("RIFF");
    expect(wav.byteLength).toBeGreaterThan(16000); // over half a second of 16 kHz PCM
  });

  it("generates ids, and refuses an existing callId with 409", async () => {
    const { key } = await tenant();
    const generated = await startCall(key);
    expect(generated).toMatch(/^call_[A-Za-z0-9]{16}$/);
    await startCall(key, { callId: "dup" });
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key, json: { callId: "dup" } }),
      409,
      "call_exists",
    );
  });

  it("reads a live call from the hot tier and merges context", async () => {
    const { key } = await tenant();
    const callId = await startCall(key, { context: { name: "Ada" } });
    const patched = await api(`/api/v1/calls/${callId}`, {
      method: "PATCH",
      key,
      json: { context: { balance: "$42.10", name: null } },
    });
    expect(patched.status).toBe(200);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as CallBody;
    expect(view.tier).toBe("hot");
    expect(view.context).toEqual({ balance: "$42.10" });
    expect(JSON.stringify(view)).not.toContain("tenantId");
  });

  it("uses session context in replies", async () => {
    const { key } = await tenant();
    const callId = await startCall(key, { context: { balance: "$42.10" } });
    const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "what is my account balance" },
    });
    const turn = (await res.json()) as { reply: { text: string }; intent: { name: string } };
    expect(turn.intent.name).toBe("check_balance");
    expect(turn.reply.text).toContain("$42.10");
  });

  it("ends, archives to D1 and R2, then reads from the warm tier", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "I want to check my balance" },
    });
    const ended = await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    expect(ended.status).toBe(200);
    const end = (await ended.json()) as { status: string; archive: string; endedAt: string };
    expect(end).toMatchObject({ status: "ended", archive: "done" });

    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as CallBody & { endedAt: string };
    expect(view.tier).toBe("warm");
    expect(view.status).toBe("ended");
    expect(view.endedAt).toBe(end.endedAt);
    expect(view.history.map((h) => h.role)).toEqual(["assistant", "user", "assistant"]);
    expect(view.history[1]?.intent?.name).toBe("check_balance");

    // ending again is harmless, and turns are refused
    expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).status).toBe(200);
    await expectProblem(
      await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key, json: { text: "hello?" } }),
      409,
      "call_ended",
    );
    await expectProblem(
      await api(`/api/v1/calls/${callId}`, { method: "PATCH", key, json: { context: { a: 1 } } }),
      409,
      "call_ended",
    );
    await expectProblem(await api("/api/v1/calls", { method: "POST", key, json: { callId } }), 409, "call_exists");
  });

  it("lists the tenant's calls newest first with a cursor", async () => {
    const { key } = await tenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await startCall(key, { callId: `list-${i}` }));
    await api(`/api/v1/calls/list-0/end`, { method: "POST", key });
    const first = (await (await api("/api/v1/calls?limit=3", { key })).json()) as {
      calls: { callId: string }[];
      nextCursor?: string;
    };
    expect(first.calls).toHaveLength(3);
    expect(first.nextCursor).toBeTruthy();
    const second = (await (await api(`/api/v1/calls?limit=3&cursor=${first.nextCursor}`, { key })).json()) as {
      calls: { callId: string }[];
      nextCursor?: string;
    };
    const seen = [...first.calls, ...second.calls].map((c) => c.callId);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(second.nextCursor).toBeUndefined();
    const ended = (await (await api("/api/v1/calls?status=ended", { key })).json()) as {
      calls: { callId: string; status: string }[];
    };
    expect(ended.calls).toEqual([expect.objectContaining({ callId: "list-0", status: "ended" })]);
  });

  // Two local syntheses (greeting and reply) on a cold isolate: slower than the default 5 s on a busy machine.
  it("serves the recording of a live and of an archived call", { timeout: 20_000 }, async () => {
    const { tenantId, key } = await tenant();
    const res = await api("/api/v1/calls", { method: "POST", key, json: {} });
    const { callId } = (await res.json()) as { callId: string };
    await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key, json: { dtmf: "1" } });
    const live = await api(`/api/v1/calls/${callId}/recording`, { key });
    expect(live.status).toBe(200);
    expect(live.headers.get("Content-Type")).toBe("audio/wav");
    expect(live.headers.get("X-Voice-Tier")).toBe("hot");
    const liveBytes = new Uint8Array(await live.arrayBuffer());
    const liveTurn = new Uint8Array(
      await (await api(`/api/v1/calls/${callId}/recording?turnId=turn-1`, { key })).arrayBuffer(),
    );
    await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    // A call with no caller audio archives one object: its spoken replies are referenced in the
    // speech cache, not copied, and the whole-call recording is built from them when asked for.
    const objects = (await env.ARCHIVE.list({ prefix: callPrefix(tenantId, callId) })).objects.map((o) =>
      o.key.slice(callPrefix(tenantId, callId).length),
    );
    expect(objects.sort()).toEqual(["transcript.json"]);
    const archived = await api(`/api/v1/calls/${callId}/recording`, { key });
    expect(archived.headers.get("X-Voice-Tier")).toBe("cold");
    expect(new Uint8Array(await archived.arrayBuffer())).toEqual(liveBytes);
    const oneTurn = await api(`/api/v1/calls/${callId}/recording?turnId=turn-1`, { key });
    expect(oneTurn.status).toBe(200);
    expect(new Uint8Array(await oneTurn.arrayBuffer())).toEqual(liveTurn); // sliced from the bundle
    await expectProblem(
      await api(`/api/v1/calls/${callId}/recording?turnId=turn-9`, { key }),
      404,
      "recording_not_found",
    );
  });

  it(
    "rebuilds an archived recording when the speech cache entries it refers to are gone",
    { timeout: 20_000 },
    async () => {
      const { tenantId, key } = await tenant();
      const res = await api("/api/v1/calls", { method: "POST", key, json: {} });
      const { callId } = (await res.json()) as { callId: string };
      await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key, json: { dtmf: "1" } });
      const live = new Uint8Array(await (await api(`/api/v1/calls/${callId}/recording`, { key })).arrayBuffer());
      await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
      const archive = await readTranscript(env, env.ARCHIVE, tenantId, callId);
      const refs = (archive?.audio ?? []).flatMap((a) => ("ref" in a ? [a.ref] : []));
      expect(refs.map((r) => r.text.length > 0)).toEqual([true, true]); // the greeting and the reply, with their words
      await env.ARCHIVE.delete(refs.map((r) => r.cacheKey));
      const rebuilt = await api(`/api/v1/calls/${callId}/recording`, { key });
      expect(rebuilt.status).toBe(200);
      // The same words spoken again by the embedded engine: a recording of the same length (within
      // a few samples), not a missing piece. (Digests, not toEqual: a diff of ~0.5 MB never ends.)
      const again = new Uint8Array(await rebuilt.arrayBuffer());
      expect(new TextDecoder().decode(again.subarray(0, 4))).toBe("RIFF");
      expect(Math.abs(again.byteLength - live.byteLength)).toBeLessThan(live.byteLength / 100);
    },
  );

  it("erases a call from every tier and audits it", async () => {
    const { key } = await tenant();
    const callId = await startCall(key, {}, "");
    await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    expect((await api(`/api/v1/calls/${callId}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await api(`/api/v1/calls/${callId}`, { key }), 404, "call_not_found");
    await expectProblem(await api(`/api/v1/calls/${callId}/recording`, { key }), 404, "recording_not_found");
    await expectProblem(await api(`/api/v1/calls/${callId}`, { method: "DELETE", key }), 404, "call_not_found");
    const audit = (await (await api("/api/v1/admin/audit", { key })).json()) as {
      entries: { action: string; target: string; result: string }[];
    };
    expect(audit.entries).toContainEqual(
      expect.objectContaining({ action: "call.erase", target: callId, result: "ok" }),
    );
  });
});
