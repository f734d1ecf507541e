import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STREAM_TOKEN_TTL_MS, parseStreamToken } from "../../src/security/stream-token";
import { ADMIN_TOKEN, api, createKey, expectProblem, startCall, tenant } from "../helpers/api";
import { callObject } from "../helpers/objects";
import { connect, open, streamToken } from "./stream-client";

// Who may open a call's stream: a Bearer key with calls:write, or a single-use token (60 s) that
// such a key minted for that call, for browsers that cannot set headers on a WebSocket.

describe("stream tokens", { timeout: 30_000 }, () => {
  it("mints a token that opens the stream once, without an Authorization header", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const res = await api(`/api/v1/calls/${callId}/stream-token`, { method: "POST", key });
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: string };
    expect(token).toMatch(/^vst_[A-Za-z0-9_-]+\.[A-Za-z0-9]{43}$/);
    const ttl = Date.parse(expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(STREAM_TOKEN_TTL_MS - 10_000);
    expect(ttl).toBeLessThanOrEqual(STREAM_TOKEN_TTL_MS);
    const s = await open(callId, { token });
    s.send({ type: "start", format: "pcm16", sampleRate: 16000, reply: "text" });
    expect((await s.next("ready")).callId).toBe(callId);
    s.send({ type: "text", text: "billing" });
    expect((await s.next("intent")).name).toBe("billing");
    // Single use: the same token again is refused, before anything about the call is said.
    await expectProblem((await connect(callId, { token })) as Response, 401, "unauthorized");
  });

  it("refuses an expired token", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const { token } = await streamToken(key, callId);
    await runInDurableObject(callObject(tenantId, callId), (_instance, state) => {
      state.storage.sql.exec("UPDATE stream_tokens SET expires_at = ?", Date.now() - 1);
    });
    await expectProblem((await connect(callId, { token })) as Response, 401, "unauthorized");
  });

  it("refuses a token on another call, with edited claims, or made up", async () => {
    const a = await tenant();
    const b = await tenant();
    const callA = await startCall(a.key);
    const callA2 = await startCall(a.key);
    const callB = await startCall(b.key);
    const { token } = await streamToken(a.key, callA);
    await expectProblem((await connect(callA2, { token })) as Response, 401, "unauthorized");
    // The claims name tenant, call, key and residency; changing them (here: to tenant B's call)
    // changes the token's hash, which the object does not hold.
    const claims = parseStreamToken(token)!;
    const forged = token.replace(
      /^vst_[^.]+/,
      `vst_${btoa(JSON.stringify([1, b.tenantId, callB, claims.keyId, null]))
        .replace(/=+$/, "")
        .replace(/\+/g, "-")
        .replace(/\//g, "_")}`,
    );
    expect(parseStreamToken(forged)).toMatchObject({ tenantId: b.tenantId, callId: callB });
    await expectProblem((await connect(callB, { token: forged })) as Response, 401, "unauthorized");
    await expectProblem((await connect(callA, { token: "vst_nonsense" })) as Response, 401, "unauthorized");
    // Right claims, wrong secret: only the call's object can tell, and it holds no such hash.
    const guessed = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    await expectProblem((await connect(callA, { token: guessed })) as Response, 401, "unauthorized");
    // The genuine token still works on its own call (the failures above did not consume it).
    const s = await open(callA, { token });
    s.close();
  });

  it("stops working when the key that minted it is revoked", async () => {
    const { tenantId } = await tenant();
    const key = await createKey(tenantId, ["calls:write"]);
    const callId = await startCall(key);
    const { token } = await streamToken(key, callId);
    const keyId = /^ve_([A-Za-z0-9]{12})_/.exec(key)![1]!;
    expect((await api(`/api/v1/admin/keys/${keyId}`, { method: "DELETE", key: ADMIN_TOKEN })).status).toBe(204);
    await expectProblem((await connect(callId, { token })) as Response, 401, "unauthorized");
  });

  it("is minted only for an active call of the key's own tenant, with calls:write", async () => {
    const a = await tenant();
    const b = await tenant();
    const callId = await startCall(a.key);
    const readOnly = await createKey(a.tenantId, ["calls:read"]);
    await expectProblem(
      await api(`/api/v1/calls/${callId}/stream-token`, { method: "POST", key: readOnly }),
      403,
      "forbidden",
    );
    await expectProblem(
      await api(`/api/v1/calls/${callId}/stream-token`, { method: "POST", key: b.key }),
      404,
      "call_not_found",
    );
    expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key: a.key })).status).toBe(200);
    await expectProblem(
      await api(`/api/v1/calls/${callId}/stream-token`, { method: "POST", key: a.key }),
      409,
      "call_ended",
    );
  });
});

describe("Bearer keys on the stream", { timeout: 30_000 }, () => {
  it("opens with a key holding calls:write and refuses one without it, or the operator token", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await open(callId, { key });
    s.close();
    const readOnly = await createKey(tenantId, ["calls:read", "voice"]);
    await expectProblem((await connect(callId, { key: readOnly })) as Response, 403, "forbidden");
    await expectProblem((await connect(callId, { key: ADMIN_TOKEN })) as Response, 403, "forbidden");
    await expectProblem(
      (await connect(callId, { key: "ve_AAAAAAAAAAAA_" + "a".repeat(43) })) as Response,
      401,
      "unauthorized",
    );
  });
});

describe("the OpenAPI document", { timeout: 30_000 }, () => {
  it(
    "lists both routes: the token (201) and the WebSocket upgrade " +
      "(101) with its problem answers and both credentials",
    async () => {
      const doc = (await (await api("/openapi.json")).json()) as {
        paths: Record<
          string,
          Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>
        >;
        components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> };
      };
      const stream = doc.paths["/api/v1/calls/{callId}/stream"]?.get;
      expect(stream?.security).toEqual([{ bearer: ["calls:write"] }, { streamToken: [] }]);
      expect(Object.keys(stream?.responses ?? {})).toEqual(expect.arrayContaining(["101", "401", "403", "426"]));
      expect(doc.components.securitySchemes.streamToken).toMatchObject({ type: "apiKey", in: "query", name: "token" });
      const mint = doc.paths["/api/v1/calls/{callId}/stream-token"]?.post;
      expect(mint?.security).toEqual([{ bearer: ["calls:write"] }]);
      expect(Object.keys(mint?.responses ?? {})).toEqual(expect.arrayContaining(["201", "403", "404", "409"]));
    },
  );
});
