import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { coldKeys } from "../../src/storage/layout";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import { ADMIN_TOKEN, ALL_SCOPES, api, expectProblem, startCall, tenant, uid } from "../helpers/api";
import { callObject, fetchWithSettings, setCallBindings } from "../helpers/objects";

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const VIRGINIA = { latitude: "38.95", longitude: "-77.45", continent: "NA", country: "US" };
const MP3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64, ...new Array(400).fill(0)]);
const POLLY = {
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

async function keyResponse(json: Record<string, unknown>) {
  return api("/api/v1/admin/keys", { method: "POST", key: ADMIN_TOKEN, json: { scopes: ALL_SCOPES, ...json } });
}

async function endAndArchive(key: string, callId: string) {
  const res = await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
  expect(await res.json()).toMatchObject({ status: "ended", archive: "done" });
}

describe("tenant residency", () => {
  it("is chosen with the tenant's first key, shown on its keys and inherited by later keys", async () => {
    const tenantId = uid("t");
    const first = await keyResponse({ tenantId, residency: "eu" });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ tenantId, residency: "eu" });
    const later = await keyResponse({ tenantId });
    expect(await later.json()).toMatchObject({ residency: "eu" });
    const list = await api(`/api/v1/admin/keys?tenantId=${tenantId}`, { key: ADMIN_TOKEN });
    const { keys } = (await list.json()) as { keys: { residency: string | null }[] };
    expect(keys.map((k) => k.residency)).toEqual(["eu", "eu"]);
  });

  it("cannot be added to a tenant that already exists unrestricted (its calls would be lost)", async () => {
    const { tenantId } = await tenant();
    const res = await keyResponse({ tenantId, residency: "eu" });
    const problem = await expectProblem(res, 409, "residency_conflict");
    expect(problem.detail).toContain("fixed when its first key is created");
    const again = await keyResponse({ tenantId });
    expect(await again.json()).toMatchObject({ residency: null });
  });

  it("refuses a residency it does not know", async () => {
    await expectProblem(await keyResponse({ tenantId: uid("t"), residency: "us" }), 400, "invalid_request");
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key: (await tenant()).key, json: { residency: "mars" } }),
      400,
      "invalid_request",
    );
  });
});

describe("an EU tenant's call", () => {
  it("lives in the EU namespace and is archived to the EU bucket, through every tier", async () => {
    const { tenantId, key } = await tenant({ residency: "eu" });
    const created = await api("/api/v1/calls", { method: "POST", key, json: {} });
    const body = (await created.json()) as { callId: string; residency: string };
    expect(created.status).toBe(201);
    expect(body.residency).toBe("eu");
    const callId = body.callId;
    expect(await callObject(tenantId, callId, "eu").get()).not.toBeNull();
    expect(await callObject(tenantId, callId, null).get()).toBeNull();

    const turn = await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      json: { text: "what is my balance" },
    });
    expect(turn.status).toBe(200);
    const hot = await api(`/api/v1/calls/${callId}`, { key });
    expect(await hot.json()).toMatchObject({ tier: "hot", residency: "eu", turnCount: 1 });

    await endAndArchive(key, callId);
    expect(await env.ARCHIVE_EU.head(coldKeys.transcript(tenantId, callId))).not.toBeNull();
    // The spoken replies stay in the EU bucket's speech cache, which the archive refers to.
    expect((await env.ARCHIVE_EU.list({ prefix: "cache/tts/" })).objects.length).toBeGreaterThan(0);
    expect(await env.ARCHIVE.head(coldKeys.transcript(tenantId, callId))).toBeNull();

    expect(await (await api(`/api/v1/calls/${callId}`, { key })).json()).toMatchObject({
      tier: "warm",
      residency: "eu",
    });
    await env.DB.prepare("DELETE FROM calls WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId).run();
    expect(await (await api(`/api/v1/calls/${callId}`, { key })).json()).toMatchObject({
      tier: "cold",
      residency: "eu",
    });
    const recording = await api(`/api/v1/calls/${callId}/recording`, { key });
    expect(recording.status).toBe(200);
    expect(recording.headers.get("X-Voice-Tier")).toBe("cold");

    expect((await api(`/api/v1/calls/${callId}`, { method: "DELETE", key })).status).toBe(204);
    expect((await env.ARCHIVE_EU.list({ prefix: `tenants/${tenantId}/` })).objects).toHaveLength(0);
    await expectProblem(await api(`/api/v1/calls/${callId}`, { key }), 404, "call_not_found");
  });
});

describe("a call that asks for EU residency", () => {
  it("is placed in the EU, found again through the call directory, and erased from there", async () => {
    const { tenantId, key } = await tenant();
    const callId = uid("c");
    const created = await api("/api/v1/calls?reply=text", { method: "POST", key, json: { callId, residency: "eu" } });
    expect(await created.json()).toMatchObject({ callId, residency: "eu" });
    expect(await callObject(tenantId, callId, "eu").get()).not.toBeNull();
    expect(await callObject(tenantId, callId, null).get()).toBeNull();

    const turn = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "what is my balance" },
    });
    expect(turn.status).toBe(200);
    const patched = await api(`/api/v1/calls/${callId}`, { method: "PATCH", key, json: { context: { plan: "gold" } } });
    expect(await patched.json()).toMatchObject({ context: { plan: "gold" }, residency: "eu" });

    // The id is taken whichever residency a second call asks for.
    await expectProblem(await api("/api/v1/calls", { method: "POST", key, json: { callId } }), 409, "call_exists");
    // Another tenant never finds it.
    await expectProblem(await api(`/api/v1/calls/${callId}`, { key: (await tenant()).key }), 404, "call_not_found");

    await endAndArchive(key, callId);
    expect(await env.ARCHIVE_EU.head(coldKeys.transcript(tenantId, callId))).not.toBeNull();
    expect(await env.ARCHIVE.head(coldKeys.transcript(tenantId, callId))).toBeNull();
    await env.DB.prepare("DELETE FROM calls WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId).run();
    expect(await (await api(`/api/v1/calls/${callId}`, { key })).json()).toMatchObject({
      tier: "cold",
      residency: "eu",
    });

    expect((await api(`/api/v1/calls/${callId}`, { method: "DELETE", key })).status).toBe(204);
    expect((await env.ARCHIVE_EU.list({ prefix: `tenants/${tenantId}/` })).objects).toHaveLength(0);
    const directory = await env.DB.prepare("SELECT 1 FROM call_residency WHERE tenant_id = ? AND call_id = ?")
      .bind(tenantId, callId)
      .first();
    expect(directory).toBeNull();
  });

  it("cannot take the id of an existing call of its tenant", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key, json: { callId, residency: "eu" } }),
      409,
      "call_exists",
    );
  });
});

describe("EU provider regions", () => {
  function synthesize(key: string, vars: Record<string, string>) {
    const req = new Request("http://voice-edge.test/api/v1/voice/synthesize", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ text: `Hello ${Math.random()}`, format: "mp3" }),
      cf: VIRGINIA,
    });
    return fetchWithSettings(vars, req);
  }

  function pollyHosts(fail: (host: string) => boolean = () => false): string[] {
    const hosts: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const host = new URL(new Request(input, init).url).host;
      hosts.push(host);
      if (fail(host))
        return new Response(JSON.stringify({ message: "down" }), {
          status: 503,
          headers: { "x-amzn-ErrorType": "ServiceFailureException" },
        });
      return new Response(MP3, { headers: { "Content-Type": "audio/mpeg", "x-amzn-RequestCharacters": "10" } });
    });
    return hosts;
  }

  it("serves an EU tenant's caller in Virginia from the EU region, never the nearer US one", async () => {
    const { key } = await tenant({ residency: "eu" });
    const hosts = pollyHosts();
    const res = await synthesize(key, { ...POLLY, TTS_PROVIDERS: "polly", POLLY_REGIONS: "us-east-1,eu-central-1" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("X-Voice-Region")).toBe("eu-central-1");
    expect(hosts).toEqual(["polly.eu-central-1.amazonaws.com"]);
  });

  it("fails clearly rather than leave the zone when the EU region is down", async () => {
    const { key } = await tenant({ residency: "eu" });
    const hosts = pollyHosts((host) => host.includes("eu-central-1"));
    const res = await synthesize(key, { ...POLLY, TTS_PROVIDERS: "polly", POLLY_REGIONS: "us-east-1,eu-central-1" });
    await expectProblem(res, 503, "provider_unavailable");
    expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.every((h) => h === "polly.eu-central-1.amazonaws.com")).toBe(true);
  });

  it("names what to configure when no configured region is in the zone", async () => {
    const { key } = await tenant({ residency: "eu" });
    const hosts = pollyHosts();
    const res = await synthesize(key, { ...POLLY, TTS_PROVIDERS: "polly", POLLY_REGIONS: "us-east-1" });
    const problem = await expectProblem(res, 503, "residency_unavailable");
    expect(problem.detail).toContain("polly@us-east-1");
    expect(hosts).toEqual([]);
  });

  it(
    "sends an EU call's speech to Deepgram's EU endpoint, and keeps " +
      "text turns working when only the global one exists",
    async () => {
      const { tenantId, key } = await tenant({ residency: "eu" });
      const callId = await startCall(key);
      const hosts: string[] = [];
      vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
        hosts.push(new URL(new Request(input, init).url).host);
        return Response.json({
          metadata: { request_id: "r1" },
          results: { channels: [{ alternatives: [{ transcript: "check my balance", confidence: 0.9, words: [] }] }] },
        });
      });
      const speak = () =>
        api(`/api/v1/calls/${callId}/turns?reply=text`, {
          method: "POST",
          key,
          body: balanceWav,
          headers: { "Content-Type": "audio/wav" },
        });

      await setCallBindings(
        tenantId,
        callId,
        { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-key", DEEPGRAM_REGIONS: "global,eu" },
        "eu",
      );
      const heard = await speak();
      expect(await heard.json()).toMatchObject({ transcript: { provider: "deepgram", region: "eu" } });
      expect(heard.headers.get("X-Voice-Provider")).toBe("stt=deepgram");
      expect(heard.headers.get("X-Voice-Region")).toBe("stt=eu");
      expect(hosts).toEqual(["api.eu.deepgram.com"]);

      await setCallBindings(
        tenantId,
        callId,
        { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-key", DEEPGRAM_REGIONS: "global" },
        "eu",
      );
      await expectProblem(await speak(), 503, "residency_unavailable");
      expect(hosts).toHaveLength(1);
      const text = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: "what is my balance" },
      });
      expect(text.status).toBe(200);
    },
  );
});

describe("EU calls where the runtime has no jurisdictions", () => {
  it("are refused, never placed outside the jurisdiction, unless development emulation is on", async () => {
    const { key } = await tenant({ residency: "eu" });
    const start = () =>
      new Request("http://voice-edge.test/api/v1/calls?reply=text", {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: "{}",
      });
    await expectProblem(
      await fetchWithSettings({ DEV_EMULATE_JURISDICTION: "" }, start()),
      503,
      "residency_unavailable",
    );
    expect((await fetchWithSettings({}, start())).status).toBe(201);
  });
});
