import { beforeAll, describe, expect, it } from "vitest";
import { putAgent } from "../helpers/agents";
import { ADMIN_TOKEN, api, expectProblem, startCall, tenant, uid } from "../helpers/api";
import { started } from "../stream/stream-client";

// Issue 21 item 3, "text that is not text": JSON bodies are strict UTF-8 and nothing else, and a
// string a client sends may not carry control characters or unpaired surrogates (src/lib/text.ts).
// Each refusal is a 4xx problem and leaves the call exactly as it was.

const utf8 = new TextEncoder();
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...utf8.encode(p)] : p)));

describe("text that is not text", () => {
  let key = "";
  let callId = "";
  let before = "";

  const snapshot = async () => JSON.stringify(await (await api(`/api/v1/calls/${callId}`, { key })).json());
  const unchanged = async () => expect(await snapshot()).toBe(before);
  const postTurn = (body: BodyInit, contentType = "application/json", headers: Record<string, string> = {}) =>
    api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      body,
      headers: { "Content-Type": contentType, ...headers },
    });

  beforeAll(async () => {
    ({ key } = await tenant());
    callId = await startCall(key, { context: { keep: true } });
    before = await snapshot();
  });

  it("refuses JSON bodies that are not UTF-8 (400 invalid_json) instead of storing U+FFFD", async () => {
    const bad = [
      bytes('{"text":"caf', [0xe9], '"}'), // Latin-1 é
      bytes('{"text":"a', [0xc0, 0xaf], '"}'), // overlong '/'
      bytes('{"text":"', [0xed, 0xa0, 0x80], '"}'), // a surrogate encoded as UTF-8
      bytes('{"text":"a', [0xe2, 0x82], '"}'), // truncated sequence
      bytes([0xff, 0xfe], '{"text":"hi"}'), // a UTF-16 byte order mark
    ];
    for (const body of bad) await expectProblem(await postTurn(body), 400, "invalid_json");
    // The SSE form of the turn and the other JSON routes read bodies the same way.
    await expectProblem(
      await postTurn(bad[0]!, "application/json", { Accept: "text/event-stream" }),
      400,
      "invalid_json",
    );
    await expectProblem(
      await api(`/api/v1/calls/${callId}`, {
        method: "PATCH",
        key,
        body: bytes('{"context":{"note":"caf', [0xe9], '"}}'),
        headers: { "Content-Type": "application/json" },
      }),
      400,
      "invalid_json",
    );
    const newId = uid("call");
    await expectProblem(
      await api("/api/v1/calls", {
        method: "POST",
        key,
        body: bytes(`{"callId":"${newId}","metadata":{"n":"`, [0x80], '"}}'),
        headers: { "Content-Type": "application/json" },
      }),
      400,
      "invalid_json",
    );
    expect((await api(`/api/v1/calls/${newId}`, { key })).status).toBe(404);
    await unchanged();
  });

  it("takes UTF-8 JSON only: any other charset is 415 unsupported_media_type", async () => {
    for (const contentType of [
      "application/json; charset=utf-16",
      'application/json; charset="UTF-16"',
      "application/json;CHARSET=iso-8859-1",
      "application/json; charset=utf-8; charset=utf-16",
      "application/json; charset=",
    ])
      await expectProblem(
        await postTurn(JSON.stringify({ text: "billing" }), contentType),
        415,
        "unsupported_media_type",
      );
    await expectProblem(
      await postTurn(JSON.stringify({ text: "billing" }), "application/json; charset=utf-16", {
        Accept: "text/event-stream",
      }),
      415,
      "unsupported_media_type",
    );
    const newId = uid("call");
    await expectProblem(
      await api("/api/v1/calls", {
        method: "POST",
        key,
        body: JSON.stringify({ callId: newId }),
        headers: { "Content-Type": "application/json; charset=windows-1252" },
      }),
      415,
      "unsupported_media_type",
    );
    expect((await api(`/api/v1/calls/${newId}`, { key })).status).toBe(404);
    await unchanged();
  });

  it("refuses control characters and unpaired surrogates in turn text (HTTP and SSE), naming the field", async () => {
    for (const text of [
      "hi\u0000there",
      "bell\u0007",
      "esc\u001b[31m",
      "del\u007f",
      "next line\u0085",
      "lone \ud800 high",
      "lone \udc00 low",
      "reversed \udc00\ud800",
      "\ud83d",
    ]) {
      // JSON.stringify writes these as \u escapes: what a hostile client sends.
      const p = await expectProblem(await postTurn(JSON.stringify({ text })), 400, "invalid_request");
      expect(p.detail).toMatch(/\btext: must (not contain control characters|be well-formed Unicode)/);
      await expectProblem(
        await postTurn(JSON.stringify({ text }), "application/json", { Accept: "text/event-stream" }),
        400,
        "invalid_request",
      );
    }
    await unchanged();
  });

  it("refuses them in a call's metadata and context, keys included, and stores nothing", async () => {
    const refusedCreate = [
      { metadata: { note: "a\u0000b" } },
      { context: { "bad\u0001key": 1 } },
      { metadata: { deep: [{ ok: "fine" }, { x: ["\ud800"] }] } },
      { userId: "user\u009b" },
    ];
    for (const body of refusedCreate) {
      const newId = uid("call");
      const res = await api("/api/v1/calls?reply=text", { method: "POST", key, json: { callId: newId, ...body } });
      const p = await expectProblem(res, 400, "invalid_request");
      expect(p.detail).toMatch(/(metadata|context|userId)/);
      expect((await api(`/api/v1/calls/${newId}`, { key })).status).toBe(404);
    }
    const p = await expectProblem(
      await api(`/api/v1/calls/${callId}`, {
        method: "PATCH",
        key,
        json: { context: { list: ["ok", "x\ud800"] } },
      }),
      400,
      "invalid_request",
    );
    expect(p.detail).toContain("context.list.1:");
    await unchanged();
  });

  it("refuses them in agent definitions and key names", async () => {
    const agentId = uid("agent");
    const p = await expectProblem(
      await putAgent(key, agentId, { instructions: "Be helpful.\n\tAlways\u0000." }),
      400,
      "invalid_request",
    );
    expect(p.detail).toContain("instructions:");
    expect((await api(`/api/v1/agents/${agentId}`, { key })).status).toBe(404);
    await expectProblem(
      await api("/api/v1/admin/keys", {
        method: "POST",
        key: ADMIN_TOKEN,
        json: { tenantId: uid("t"), scopes: ["calls:read"], name: "ops\u0007" },
      }),
      400,
      "invalid_request",
    );
  });

  it("still takes text with tabs, line breaks and emoji, a charset of utf-8, and a UTF-8 BOM", async () => {
    const { key: k } = await tenant();
    const id = await startCall(k);
    const turn = (body: BodyInit, contentType: string) =>
      api(`/api/v1/calls/${id}/turns?reply=text`, {
        method: "POST",
        key: k,
        body,
        headers: { "Content-Type": contentType },
      });
    let res = await turn(
      JSON.stringify({ text: "billing\tplease\r\n\ud83d\ude00" }),
      'application/json; charset="UTF-8"',
    );
    expect(res.status, await res.text()).toBe(200);
    res = await turn(bytes([0xef, 0xbb, 0xbf], '{"text":"billing caf\u00e9"}'), "application/json;charset=utf-8");
    expect(res.status, await res.text()).toBe(200);
    const view = (await (await api(`/api/v1/calls/${id}`, { key: k })).json()) as {
      history: { role: string; text: string }[];
    };
    expect(view.history.filter((h) => h.role === "user").map((h) => h.text)).toEqual([
      "billing\tplease\r\n\ud83d\ude00",
      "billing caf\u00e9",
    ]);
  });
});

describe("text turns on the live stream follow the same rule", { timeout: 30_000 }, () => {
  it("answers an `error` naming the field, keeps the socket open and stores nothing", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const history = async () =>
      ((await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { history: { text: string }[] }).history;
    const before = await history();
    const s = await started(callId, key, { reply: "text" });
    for (const text of ["hi\u0000", "lone \ud800", "c1\u0090"]) {
      s.send({ type: "text", text });
      const error = await s.next("error");
      expect(error).toMatchObject({ type: "error", status: 400, code: "invalid_message" });
      expect(error.detail).toMatch(/field "text" must (not contain control characters|be well-formed Unicode)/);
    }
    expect(await history()).toEqual(before);
    // Still open: a good turn goes through.
    s.send({ type: "text", text: "billing" });
    expect((await s.next("intent")).name).toBe("billing");
    expect(s.closeInfo).toBeUndefined();
    s.close();
    const after = await history();
    expect(after.length).toBe(before.length + 2);
    expect(after.filter((h) => ["\u0000", "\u0090", "\ud800"].some((c) => h.text.includes(c)))).toEqual([]);
  });
});
