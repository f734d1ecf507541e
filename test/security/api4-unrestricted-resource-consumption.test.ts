import { describe, expect, it } from "vitest";
import type { CallView } from "../../src/call/records";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import silenceWav from "../fixtures/audio/silence-2s-16k.wav";
import { ADMIN_TOKEN, api, createKey, expectProblem, startCall, tenant, uid } from "../helpers/api";
import { advanceLimitsClock, apiWithSettings, callObject, setCallBindings } from "../helpers/objects";

// OWASP API4:2023 Unrestricted Resource Consumption: every tenant request is counted against a
// per-tenant rate (a token bucket in the tenant's TenantLimits object), and every request body,
// audio clip, text, context, history and call is capped by configuration. Over a limit the request
// is refused with its 4xx problem and leaves nothing behind.

/** The call as its object holds it (read without a request, so without spending a token). */
async function hot(tenantId: string, callId: string): Promise<CallView | null> {
  return callObject(tenantId, callId).get();
}

async function expectRateLimited(res: Response): Promise<number> {
  const retryAfter = res.headers.get("Retry-After");
  await expectProblem(res, 429, "rate_limited");
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
  return Number(retryAfter);
}

describe("per-tenant request rate", () => {
  // 5 a minute, so one token every 12 s: no token comes back while a test runs.
  const call = apiWithSettings({ TENANT_REQUESTS_PER_MINUTE: "5" });

  it(
    "refuses a burst over the limit with 429 rate_limited " + "and Retry-After, and the refused turns change nothing",
    async () => {
      const { tenantId, key } = await tenant();
      const created = await call("/api/v1/calls?reply=text", { method: "POST", key, json: {} });
      expect(created.status).toBe(201);
      const { callId } = (await created.json()) as { callId: string };

      const turns = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          call(`/api/v1/calls/${callId}/turns?reply=text`, {
            method: "POST",
            key,
            json: { text: `hello number ${i}` },
          }),
        ),
      );
      const ok = turns.filter((r) => r.status === 200);
      const refused = turns.filter((r) => r.status !== 200);
      expect(ok).toHaveLength(4); // the bucket held 5; the call took one
      expect(refused).toHaveLength(4);
      for (const r of refused) {
        const seconds = await expectRateLimited(r);
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThanOrEqual(12);
      }

      const view = await hot(tenantId, callId);
      expect(view?.turnCount).toBe(4);
      expect(view?.history).toHaveLength(1 + 2 * 4); // the greeting and four turns, nothing of the refused ones
    },
  );

  it("counts all of a tenant's keys together and no other tenant's", async () => {
    const a = await tenant();
    const secondKey = await createKey(a.tenantId);
    const b = await tenant();
    for (let i = 0; i < 5; i++) expect((await call("/api/v1/calls", { key: a.key })).status).toBe(200);
    await expectRateLimited(await call("/api/v1/calls", { key: a.key }));
    await expectRateLimited(await call("/api/v1/calls", { key: secondKey }));
    // Tenant B has its own bucket, full.
    for (let i = 0; i < 5; i++) expect((await call("/api/v1/calls", { key: b.key })).status).toBe(200);
  });

  it("refills with time: one token per 12 s at 5 a minute, never beyond the burst", async () => {
    const { tenantId, key } = await tenant();
    for (let i = 0; i < 5; i++) expect((await call("/api/v1/calls", { key })).status).toBe(200);
    const retryAfter = await expectRateLimited(await call("/api/v1/calls", { key }));
    expect(retryAfter).toBeGreaterThanOrEqual(11);

    await advanceLimitsClock(tenantId, 12_000);
    expect((await call("/api/v1/calls", { key })).status).toBe(200);
    await expectRateLimited(await call("/api/v1/calls", { key }));

    // An hour later the bucket is full again, with 5 tokens (TENANT_BURST defaults to the per-minute rate), not 300.
    await advanceLimitsClock(tenantId, 3_600_000);
    for (let i = 0; i < 5; i++) expect((await call("/api/v1/calls", { key })).status).toBe(200);
    await expectRateLimited(await call("/api/v1/calls", { key }));
  });

  it("takes TENANT_BURST as the bucket size", async () => {
    const burst = apiWithSettings({ TENANT_REQUESTS_PER_MINUTE: "60", TENANT_BURST: "2" });
    const { tenantId, key } = await tenant();
    expect((await burst("/api/v1/calls", { key })).status).toBe(200);
    expect((await burst("/api/v1/calls", { key })).status).toBe(200);
    expect(await expectRateLimited(await burst("/api/v1/calls", { key }))).toBe(1);
    await advanceLimitsClock(tenantId, 1_000);
    expect((await burst("/api/v1/calls", { key })).status).toBe(200);
  });

  it("does not limit the operator token or the health endpoints", async () => {
    const strict = apiWithSettings({ TENANT_REQUESTS_PER_MINUTE: "1" });
    for (let i = 0; i < 3; i++) {
      const res = await strict("/api/v1/admin/keys", {
        method: "POST",
        key: ADMIN_TOKEN,
        json: { tenantId: uid("t"), scopes: ["calls:read"] },
      });
      expect(res.status).toBe(201);
      expect((await strict("/healthz")).status).toBe(200);
    }
  });

  it("refuses a malformed setting with a configuration error naming it", async () => {
    const { key } = await tenant();
    const res = await apiWithSettings({ TENANT_REQUESTS_PER_MINUTE: "lots" })("/api/v1/calls", { key });
    const problem = await expectProblem(res, 500, "configuration_error");
    expect(problem.detail).toContain("TENANT_REQUESTS_PER_MINUTE");
  });
});

describe("configured caps refuse oversized input and store nothing", () => {
  /** A call with one turn taken, and a snapshot of it to compare after each refusal. */
  async function callWithOneTurn() {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key, { context: { keep: true } });
    expect(
      (await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } }))
        .status,
    ).toBe(200);
    const before = JSON.stringify(await hot(tenantId, callId));
    const unchanged = async () => expect(JSON.stringify(await hot(tenantId, callId))).toBe(before);
    return { tenantId, key, callId, unchanged };
  }

  async function noCalls(key: string) {
    const list = (await (await api("/api/v1/calls", { key })).json()) as { calls: unknown[] };
    expect(list.calls).toEqual([]);
  }

  it("a JSON body over the JSON limit is refused unread (413)", async () => {
    const { key, callId, unchanged } = await callWithOneTurn();
    // MAX_TEXT_CHARS * 4 + MAX_CONTEXT_BYTES * 2 + 8 KiB = 61,000 bytes with the defaults.
    await expectProblem(
      await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key, json: { text: "a".repeat(70_000) } }),
      413,
      "payload_too_large",
    );
    await unchanged();
    const fresh = await tenant();
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key: fresh.key, json: { metadata: { blob: "x".repeat(70_000) } } }),
      413,
      "payload_too_large",
    );
    await noCalls(fresh.key);
  });

  it("audio over MAX_AUDIO_BYTES or MAX_AUDIO_SECONDS (413)", async () => {
    const { key, callId, unchanged } = await callWithOneTurn();
    const audio = (bytes: Uint8Array) => ({
      method: "POST",
      key,
      body: bytes,
      headers: { "Content-Type": "audio/wav" },
    });
    await expectProblem(
      await apiWithSettings({ MAX_AUDIO_BYTES: "1024" })(`/api/v1/calls/${callId}/turns`, audio(balanceWav)),
      413,
      "payload_too_large",
    );
    const tooLong = await apiWithSettings({ MAX_AUDIO_SECONDS: "1" })(
      `/api/v1/calls/${callId}/turns`,
      audio(silenceWav),
    );
    const { detail } = await expectProblem(tooLong, 413, "payload_too_large");
    expect(detail).toMatch(/over the limit of 1 s/);
    await unchanged();
  });

  it("text over MAX_TEXT_CHARS (422)", async () => {
    const { key, callId, unchanged } = await callWithOneTurn();
    await expectProblem(
      await apiWithSettings({ MAX_TEXT_CHARS: "10" })(`/api/v1/calls/${callId}/turns`, {
        method: "POST",
        key,
        json: { text: "eleven char" },
      }),
      422,
      "text_too_long",
    );
    await unchanged();
  });

  it(
    "metadata over MAX_CONTEXT_BYTES at creation, and " + "a context that would grow past it by merging (413)",
    async () => {
      const fresh = await tenant();
      await expectProblem(
        await api("/api/v1/calls", {
          method: "POST",
          key: fresh.key,
          json: { metadata: { blob: "x".repeat(17 * 1024) } },
        }),
        413,
        "payload_too_large",
      );
      await noCalls(fresh.key);

      const { tenantId, key, callId } = await callWithOneTurn();
      const half = "y".repeat(9 * 1024);
      expect(
        (await api(`/api/v1/calls/${callId}`, { method: "PATCH", key, json: { context: { a: half } } })).status,
      ).toBe(200);
      const grown = JSON.stringify(await hot(tenantId, callId));
      // Each patch is small enough; the merged context would not be.
      await expectProblem(
        await api(`/api/v1/calls/${callId}`, { method: "PATCH", key, json: { context: { b: half } } }),
        413,
        "payload_too_large",
      );
      expect(JSON.stringify(await hot(tenantId, callId))).toBe(grown);
    },
  );

  it("turns, and so history, beyond MAX_TURNS_PER_CALL (422)", async () => {
    const { tenantId, key, callId } = await callWithOneTurn();
    await setCallBindings(tenantId, callId, { MAX_TURNS_PER_CALL: "2" });
    expect(
      (
        await api(`/api/v1/calls/${callId}/turns?reply=text`, {
          method: "POST",
          key,
          json: { text: "technical support" },
        })
      ).status,
    ).toBe(200);
    const full = JSON.stringify(await hot(tenantId, callId));
    await expectProblem(
      await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "one more" } }),
      422,
      "turn_limit_reached",
    );
    expect(JSON.stringify(await hot(tenantId, callId))).toBe(full);
    expect((await hot(tenantId, callId))?.history).toHaveLength(1 + 2 * 2);
    await setCallBindings(tenantId, callId, {});
  });
});

describe("documentation of the limit", () => {
  it("lists 429 with Retry-After on every authenticated operation in /openapi.json", async () => {
    const doc = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.responses["401"]) continue;
        expect(op.responses["429"]?.headers?.["Retry-After"], `${method} ${path}`).toBeDefined();
      }
    }
  });
});
