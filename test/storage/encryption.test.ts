import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CallSession } from "../../src/durable/call-session";
import type { ReplyOptions } from "../../src/pipeline/types";
import { synthesize } from "../../src/pipeline/stages/synthesize";
import {
  cacheObjectKey,
  readCachedSpeech,
  TTS_CACHE_PREFIX,
  ttsCacheFor,
  type TtsCacheKey,
} from "../../src/storage/speech-cache";
import type { TextToSpeech } from "../../src/providers/types";
import { HealthRegistry } from "../../src/routing/health-registry";
import { archiveKeyring, encryptedKid } from "../../src/storage/encryption";
import { callPrefix } from "../../src/storage/layout";
import { bytesToBase64 } from "../../src/lib/base64";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import { api, expectProblem, tenant, uid } from "../helpers/api";
import { callObject, fetchWithSettings, jobsOf, makeJobsDue, setCallBindings } from "../helpers/objects";

afterEach(() => vi.restoreAllMocks());

const BASE = "http://voice-edge.test";
const TEST_KEYS = env.ARCHIVE_KEYS; // "test-1:<key>", from vitest.config.ts
const NEW_KEY = `test-2:${bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
const ROTATED = `${NEW_KEY},${TEST_KEYS}`;
const OTHER_KEY_ONLY = `other:${bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
const SAME_ID_OTHER_MATERIAL = `test-1:${bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))}`;

const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const latin1Of = (bytes: Uint8Array) => {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += latin1(bytes.subarray(i, i + 8192));
  return out;
};

/** A request through the Worker with other settings (as a deployment with that ARCHIVE_KEYS would run). */
function withKeys(archiveKeys: string, path: string, key: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${key}`);
  return fetchWithSettings({ ARCHIVE_KEYS: archiveKeys }, new Request(`${BASE}${path}`, { ...init, headers }));
}

/** Every object of a call as stored: key, raw body (as an operator downloading it sees it) and metadata. */
async function rawObjects(bucket: R2Bucket, prefix: string) {
  const listed = await bucket.list({ prefix, include: ["customMetadata", "httpMetadata"] });
  const out = [];
  for (const o of listed.objects) {
    const obj = await bucket.get(o.key);
    out.push({
      key: o.key,
      body: new Uint8Array(await obj!.arrayBuffer()),
      metadata: o.customMetadata ?? {},
      contentType: o.httpMetadata?.contentType,
    });
  }
  return out;
}

function expectOnlyCiphertext(
  objects: { key: string; body: Uint8Array; metadata: Record<string, string> }[],
  secrets: string[],
  kid: string,
) {
  expect(objects.length).toBeGreaterThan(0);
  for (const o of objects) {
    const text = latin1Of(o.body);
    expect(text.startsWith("VEENC"), o.key).toBe(true);
    expect(encryptedKid(o.body), o.key).toBe(kid);
    expect(o.metadata).toMatchObject({ "ve-enc": "aes-256-gcm-v1", "ve-kid": kid });
    for (const marker of ["RIFF", "WAVE", "fmt ", '"history"', '"text"', ...secrets])
      expect(text, `${o.key} contains ${marker}`).not.toContain(marker);
  }
}

/** A call with spoken replies, a caller audio turn and a distinctive sentence, ended and archived. */
async function archivedCall(
  options: { residency?: "eu"; before?: (tenantId: string, callId: string) => Promise<void> } = {},
) {
  const { tenantId, key } = await tenant(options.residency ? { residency: options.residency } : {});
  const sentence = `the purple heron ${uid("s")} counts seventeen lanterns`;
  const created = await api("/api/v1/calls?reply=text", { method: "POST", key, json: {} });
  expect(created.status).toBe(201);
  const { callId } = (await created.json()) as { callId: string };
  expect(
    (await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: sentence } })).status,
  ).toBe(200);
  // Caller audio in, spoken reply out: both are archived as audio (the recording is built from them).
  const audioTurn = await api(`/api/v1/calls/${callId}/turns?reply=audio`, {
    method: "POST",
    key,
    body: dtmfWav,
    headers: { "Content-Type": "audio/wav" },
  });
  expect(audioTurn.status, await audioTurn.clone().text()).toBe(200);
  const live = new Uint8Array(await (await api(`/api/v1/calls/${callId}/recording`, { key })).arrayBuffer());
  expect(latin1(live.subarray(0, 4))).toBe("RIFF");
  await options.before?.(tenantId, callId);
  const ended = await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
  expect(await ended.json()).toMatchObject({ archive: "done" });
  return { tenantId, key, callId, sentence, live };
}

async function dropWarmCopy(tenantId: string, callId: string) {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM turns WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
    env.DB.prepare("DELETE FROM calls WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
  ]);
}

// Whole calls through the Worker, with speech synthesis: slower than the default 5 s on a cold isolate.
describe("encryption at rest: the cold tier", { timeout: 30_000 }, () => {
  it("holds only ciphertext in R2, and reads back cold (transcript, recording, one turn)", async () => {
    const { tenantId, key, callId, sentence, live } = await archivedCall();
    const objects = await rawObjects(env.ARCHIVE, callPrefix(tenantId, callId));
    const names = objects.map((o) => o.key.slice(callPrefix(tenantId, callId).length));
    // One object (archive version 4): the transcript and the caller's audio, one R2 write.
    expect(names).toEqual(["transcript.json"]);
    expectOnlyCiphertext(objects, [sentence, "purple heron", callId.slice(5), "VEA4"], "test-1");
    // The content type stays readable; the content does not.
    expect(objects[0]?.contentType).toBe("application/vnd.voice-edge.archive");

    await dropWarmCopy(tenantId, callId);
    const view = await api(`/api/v1/calls/${callId}`, { key });
    const body = (await view.json()) as { tier: string; history: { text: string }[] };
    expect(body.tier).toBe("cold");
    expect(body.history.map((h) => h.text)).toContain(sentence);
    const recording = await api(`/api/v1/calls/${callId}/recording`, { key });
    expect(recording.headers.get("X-Voice-Tier")).toBe("cold");
    expect(new Uint8Array(await recording.arrayBuffer())).toEqual(live);
    const turn = await api(`/api/v1/calls/${callId}/recording?turnId=turn-2`, { key });
    expect(turn.status).toBe(200);
    expect(latin1(new Uint8Array(await turn.arrayBuffer()).subarray(0, 4))).toBe("RIFF");
  });

  it("fails closed, with a problem and no plaintext, without the right key", async () => {
    const { tenantId, key, callId, sentence } = await archivedCall();
    await dropWarmCopy(tenantId, callId);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

    for (const [keys, status, code] of [
      [OTHER_KEY_ONLY, 503, "archive_key_unavailable"],
      [SAME_ID_OTHER_MATERIAL, 500, "archive_unreadable"],
      ["", 503, "archive_key_unavailable"],
    ] as const) {
      for (const path of [
        `/api/v1/calls/${callId}`,
        `/api/v1/calls/${callId}/recording`,
        `/api/v1/calls/${callId}/recording?turnId=turn-1`,
      ]) {
        const res = await withKeys(keys, path, key);
        const text = await res.clone().text();
        expect(text).not.toContain(sentence);
        expect(text).not.toContain("RIFF");
        const problem = await expectProblem(res, status, code);
        if (keys === "") expect(problem.detail).toContain("ARCHIVE_KEYS");
      }
    }
    // A call that never existed is still a 404, keys or not: only objects that exist need a key.
    await expectProblem(await withKeys("", `/api/v1/calls/${uid("nope")}`, key), 404, "call_not_found");
    // The logs say which key was missing.
    const logged = warn.mock.calls.map((c) => String(c[0]));
    expect(
      logged.some(
        (l) => l.includes("archive_key_unavailable") && l.includes("key id 'test-1'") && l.includes("holds: other"),
      ),
    ).toBe(true);
  });

  it("survives a key rotation: old archives still read, new ones use the newest key", async () => {
    const old = await archivedCall();
    const rotated = await archivedCall({
      before: (tenantId, callId) => setCallBindings(tenantId, callId, { ARCHIVE_KEYS: ROTATED }),
    });
    expectOnlyCiphertext(await rawObjects(env.ARCHIVE, callPrefix(old.tenantId, old.callId)), [old.sentence], "test-1");
    expectOnlyCiphertext(
      await rawObjects(env.ARCHIVE, callPrefix(rotated.tenantId, rotated.callId)),
      [rotated.sentence],
      "test-2",
    );

    for (const call of [old, rotated]) {
      await dropWarmCopy(call.tenantId, call.callId);
      const res = await withKeys(ROTATED, `/api/v1/calls/${call.callId}`, call.key);
      expect(await res.json()).toMatchObject({
        tier: "cold",
        history: expect.arrayContaining([expect.objectContaining({ text: call.sentence })]),
      });
      const recording = await withKeys(ROTATED, `/api/v1/calls/${call.callId}/recording`, call.key);
      expect(new Uint8Array(await recording.arrayBuffer())).toEqual(call.live);
    }
    // A deployment that lacks the newer key cannot read what it encrypted, and says so.
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await expectProblem(
      await api(`/api/v1/calls/${rotated.callId}`, { key: rotated.key }),
      503,
      "archive_key_unavailable",
    );
  });

  it("encrypts an EU call's archive in the EU bucket", async () => {
    const { tenantId, key, callId, sentence, live } = await archivedCall({ residency: "eu" });
    expect((await env.ARCHIVE.list({ prefix: callPrefix(tenantId, callId) })).objects).toHaveLength(0);
    expectOnlyCiphertext(await rawObjects(env.ARCHIVE_EU, callPrefix(tenantId, callId)), [sentence], "test-1");
    await dropWarmCopy(tenantId, callId);
    expect(await (await api(`/api/v1/calls/${callId}`, { key })).json()).toMatchObject({
      tier: "cold",
      residency: "eu",
    });
    expect(new Uint8Array(await (await api(`/api/v1/calls/${callId}/recording`, { key })).arrayBuffer())).toEqual(live);
  });
});

type Stub = DurableObjectStub<CallSession>;

async function retryNow(stub: Stub) {
  await makeJobsDue(stub);
  return runDurableObjectAlarm(stub);
}

describe("encryption at rest: without ARCHIVE_KEYS", { timeout: 30_000 }, () => {
  it("never archives in plaintext: the call stays hot and the archive is retried until keys are set", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { tenantId, key } = await tenant();
    const created = await api("/api/v1/calls", { method: "POST", key, json: {} });
    const { callId } = (await created.json()) as { callId: string };
    await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      json: { text: "a sentence that must not leak" },
    });
    await setCallBindings(tenantId, callId, { ARCHIVE_KEYS: "" });

    const ended = (await (await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).json()) as {
      archive: string;
    };
    expect(ended.archive).toBe("pending");
    expect(await (await api(`/api/v1/calls/${callId}`, { key })).json()).toMatchObject({
      tier: "hot",
      status: "ended",
    });
    expect((await env.ARCHIVE.list({ prefix: callPrefix(tenantId, callId) })).objects).toHaveLength(0);
    expect(errors.mock.calls.map((c) => String(c[0]))).toContainEqual(
      expect.stringMatching(/"event":"archive_encryption_unavailable".*ARCHIVE_KEYS is not set/),
    );

    const stub = callObject(tenantId, callId);
    await retryNow(stub);
    const jobs = await jobsOf(stub);
    expect(jobs).toEqual([
      expect.objectContaining({
        job: "archive",
        attempts: 2,
        lastError: expect.stringContaining("ARCHIVE_KEYS is not set"),
      }),
    ]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    expect((await env.ARCHIVE.list({ prefix: callPrefix(tenantId, callId) })).objects).toHaveLength(0);

    await setCallBindings(tenantId, callId, {});
    await retryNow(stub);
    expect(await (await api(`/api/v1/calls/${callId}`, { key })).json()).toMatchObject({ tier: "warm" });
    expectOnlyCiphertext(await rawObjects(env.ARCHIVE, callPrefix(tenantId, callId)), ["must not leak"], "test-1");
  });

  it("fails /readyz with a check naming ARCHIVE_KEYS, never its value", async () => {
    const ok = (await (await api("/readyz")).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(ok.checks.encryption).toEqual({ ok: true, detail: "AES-256-GCM; new writes use key 'test-1' (1 key)" });

    const missing = await fetchWithSettings({ ARCHIVE_KEYS: "" }, new Request(`${BASE}/readyz`));
    expect(missing.status).toBe(503);
    const body = (await missing.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(body.status).toBe("unavailable");
    expect(body.checks.encryption?.ok).toBe(false);
    expect(body.checks.encryption?.detail).toMatch(/^ARCHIVE_KEYS is not set/);

    const secret = bytesToBase64(crypto.getRandomValues(new Uint8Array(16)));
    const bad = (await (
      await fetchWithSettings({ ARCHIVE_KEYS: `k:${secret}` }, new Request(`${BASE}/readyz`))
    ).json()) as typeof body;
    expect(bad.checks.encryption?.detail).toContain("ARCHIVE_KEYS is invalid: entry 1 the key must be 32 bytes");
    expect(JSON.stringify(bad)).not.toContain(secret);

    const rotated = (await (
      await fetchWithSettings({ ARCHIVE_KEYS: ROTATED }, new Request(`${BASE}/readyz`))
    ).json()) as typeof body;
    expect(rotated.checks.encryption?.detail).toContain("new writes use key 'test-2' (2 keys)");
  });
});

describe("encryption at rest: the TTS cache", { timeout: 30_000 }, () => {
  const synth = (key: string, text: string, archiveKeys?: string) => {
    const init = {
      method: "POST",
      body: JSON.stringify({ text, format: "wav" }),
      headers: { "Content-Type": "application/json" },
    };
    return archiveKeys === undefined
      ? api("/api/v1/voice/synthesize", { ...init, key })
      : withKeys(archiveKeys, "/api/v1/voice/synthesize", key, init);
  };

  it("stores cached speech encrypted, under names that are not plain hashes of the text", async () => {
    const { tenantId, key } = await tenant();
    const text = `Your reference is ${uid("ref")}.`;
    const first = await synth(key, text);
    expect(first.headers.get("X-Voice-Cache")).toBe("miss");
    const audio = new Uint8Array(await first.arrayBuffer());
    const second = await synth(key, text);
    expect(second.headers.get("X-Voice-Cache")).toBe("hit");
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(audio);

    const cacheKey: TtsCacheKey = {
      tenantId,
      provider: "local",
      voice: "",
      language: "en-US",
      format: "wav",
      sampleRate: 16000,
      text,
    };
    const name = await cacheObjectKey(archiveKeyring(env), cacheKey);
    const stored = await env.ARCHIVE.get(name);
    expect(stored, "the entry is where the keyed name says").not.toBeNull();
    const body = new Uint8Array(await stored!.arrayBuffer());
    expect(encryptedKid(body)).toBe("test-1");
    expect(latin1Of(body)).not.toContain("RIFF");
    expect(stored!.customMetadata).toMatchObject({ "ve-kid": "test-1", provider: "local" });
    // An unkeyed SHA-256 of the same fields (the old naming) finds nothing.
    const plainHash = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(["local", text])))),
    );
    expect(name).not.toContain(plainHash.map((b) => b.toString(16).padStart(2, "0")).join(""));
    // Every cache entry in the bucket is ciphertext.
    for (const o of (await env.ARCHIVE.list({ prefix: TTS_CACHE_PREFIX })).objects) {
      const b = new Uint8Array(await (await env.ARCHIVE.get(o.key))!.arrayBuffer());
      expect(encryptedKid(b), o.key).not.toBeNull();
    }

    // After a rotation the cache is renamed under the new key: one miss, then hits again.
    expect((await synth(key, text, ROTATED)).headers.get("X-Voice-Cache")).toBe("miss");
    expect((await synth(key, text, ROTATED)).headers.get("X-Voice-Cache")).toBe("hit");
  });

  it("is skipped without ARCHIVE_KEYS: synthesis still works, nothing is cached", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const { key } = await tenant();
    const text = `Please hold, ${uid("hold")}.`;
    for (let i = 0; i < 2; i++) {
      const res = await synth(key, text, "");
      expect(res.status).toBe(200);
      expect(res.headers.get("X-Voice-Cache")).toBe("miss");
    }
    expect(ttsCacheFor({ ...env, ARCHIVE_KEYS: "" }, 3600, { tenantId: "t", residency: null })).toBeUndefined();
  });

  it("treats an entry that does not decrypt (plaintext, another key) as a miss and replaces it", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const cache = ttsCacheFor(env, 3600, { tenantId: uid("t"), residency: null })!;
    const reply: ReplyOptions = { mode: "audio", format: "wav", sampleRate: 16000 };
    const engine: TextToSpeech = {
      name: "fake",
      region: "fake-region",
      encodings: ["pcm"],
      synthesize: async () => ({ samples: new Int16Array(1600).fill(1000), sampleRate: 16000 }),
    };
    const k: TtsCacheKey = {
      tenantId: cache.tenantId,
      provider: "fake",
      voice: "",
      language: "en-US",
      format: "wav",
      sampleRate: 16000,
      text: "Hello there.",
    };
    const name = await cacheObjectKey(cache.keys, k);
    await env.ARCHIVE.put(name, new TextEncoder().encode("RIFF plaintext from before encryption"), {
      httpMetadata: { contentType: "audio/wav" },
    });
    await expect(readCachedSpeech(cache, k)).rejects.toMatchObject({ code: "archive_unreadable" });

    const options = { cache, resilience: { registry: new HealthRegistry() } };
    const first = await synthesize("Hello there.", "en-US", reply, [engine], options);
    expect(first.cache).toBe("miss");
    expect(encryptedKid(new Uint8Array(await (await env.ARCHIVE.get(name))!.arrayBuffer()))).toBe("test-1");
    expect((await synthesize("Hello there.", "en-US", reply, [engine], options)).cache).toBe("hit");
  });

  it("encrypts an EU tenant's cached speech in the EU bucket", async () => {
    const { tenantId, key } = await tenant({ residency: "eu" });
    const text = `Guten Tag, ${uid("eu")}.`;
    expect((await synth(key, text)).headers.get("X-Voice-Cache")).toBe("miss");
    const name = await cacheObjectKey(archiveKeyring(env), {
      tenantId,
      provider: "local",
      voice: "",
      language: "en-US",
      format: "wav",
      sampleRate: 16000,
      text,
    });
    expect(await env.ARCHIVE.head(name)).toBeNull();
    const stored = await env.ARCHIVE_EU.get(name);
    expect(stored).not.toBeNull();
    const body = new Uint8Array(await stored!.arrayBuffer());
    expect(encryptedKid(body)).toBe("test-1");
    expect(latin1Of(body)).not.toContain("RIFF");
  });
});
