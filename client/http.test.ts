import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey, uid } from "../test/helpers/api";
import { createVoiceEdgeClient, VoiceEdgeError, type VoiceEdgeClient } from "./index";

const BASE = "http://voice-edge.test";

/** A typed client for a fresh tenant, calling the Worker's real fetch handler. */
async function client(scopes?: string[]): Promise<VoiceEdgeClient> {
  const apiKey = await createKey(uid("t"), scopes);
  return createVoiceEdgeClient({ baseUrl: `${BASE}/`, apiKey, fetch: (req) => exports.default.fetch(req) });
}

async function rejection(promise: Promise<unknown>): Promise<VoiceEdgeError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VoiceEdgeError);
  return err as VoiceEdgeError;
}

describe("typed HTTP client", () => {
  it("creates a call, sends a text turn and reads the history", async () => {
    const ve = await client();
    const created = await ve.createCall({ userId: "u-client", context: { balance: "$42.10" } }, { reply: "text" });
    expect(created.status).toBe("active");
    expect(created.callId).toMatch(/^call_/);
    expect(created.greeting?.text).toBeTruthy();
    expect(created.greeting?.audio).toBeUndefined(); // reply=text: no synthesis

    const turn = await ve.textTurn(created.callId, "what is my account balance", {
      reply: "text",
      idempotencyKey: "k-1",
    });
    expect(turn.transcript).toMatchObject({ text: "what is my account balance", source: "text" });
    expect(turn.intent?.name).toBe("check_balance");
    expect(turn.reply.text).toContain("$42.10");
    // The Idempotency-Key header got through: a retry answers the first turn again.
    const retried = await ve.textTurn(created.callId, "what is my account balance", {
      reply: "text",
      idempotencyKey: "k-1",
    });
    expect(retried.turnId).toBe(turn.turnId);

    const history = await ve.getHistory(created.callId);
    const user = history.filter((h) => h.role === "user");
    expect(user).toHaveLength(1);
    expect(user[0]).toMatchObject({ turnId: turn.turnId, text: "what is my account balance" });
    expect(history.some((h) => h.role === "assistant" && h.text === turn.reply.text)).toBe(true);

    const ended = await ve.endCall(created.callId);
    expect(ended.status).toBe("ended");
    expect((await ve.getCall(created.callId)).status).toBe("ended");
  });

  it("keeps openapi-fetch's typed client for every other route", async () => {
    const ve = await client();
    const { callId } = await ve.createCall({}, { reply: "text" });
    const { data, error, response } = await ve.GET("/api/v1/calls", {
      params: { query: { status: "active", limit: 5 } },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.calls.map((c) => c.callId)).toEqual([callId]);
  });

  it("turns problem answers into VoiceEdgeError with code, detail and request id", async () => {
    const ve = await client();
    const missing = await rejection(ve.getHistory("no-such-call"));
    expect(missing).toMatchObject({ status: 404, code: "call_not_found", title: "Not Found" });
    expect(missing.detail).toContain("no-such-call");
    expect(missing.requestId).toBeTruthy();
    expect(missing.type).toBe("https://voice-edge.dev/problems/call_not_found");
    expect(missing.message).toContain("call_not_found");

    const { callId } = await ve.createCall({}, { reply: "text" });
    await ve.endCall(callId);
    expect(await rejection(ve.textTurn(callId, "hello", { reply: "text" }))).toMatchObject({
      status: 409,
      code: "call_ended",
    });
    expect(await rejection(ve.createCall({ callId }))).toMatchObject({ status: 409, code: "call_exists" });
  });

  it("sends the key as a Bearer header: a wrong key or a missing scope is refused", async () => {
    const wrong = createVoiceEdgeClient({
      baseUrl: BASE,
      apiKey: "ve_not_a_key",
      fetch: (req) => exports.default.fetch(req),
    });
    expect(await rejection(wrong.createCall())).toMatchObject({ status: 401, code: "unauthorized" });
    const readOnly = await client(["calls:read"]);
    expect(await rejection(readOnly.createCall())).toMatchObject({ status: 403, code: "forbidden" });
  });

  it("reports a non-problem error body with an http_<status> code", () => {
    const err = VoiceEdgeError.fromResponse(
      new Response("<html>Bad gateway</html>", {
        status: 502,
        statusText: "Bad Gateway",
        headers: { "Retry-After": "3" },
      }),
      "<html>Bad gateway</html>",
    );
    expect(err).toMatchObject({
      status: 502,
      code: "http_502",
      title: "Bad Gateway",
      retryAfter: 3,
      detail: "<html>Bad gateway</html>",
    });
  });
});
