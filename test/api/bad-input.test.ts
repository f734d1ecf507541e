import { beforeAll, describe, expect, it } from "vitest";
import balanceOgg from "../fixtures/audio/balance-16k.ogg";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import { api, expectProblem, startCall, tenant } from "../helpers/api";

/** Every bad input is a 4xx problem+json and leaves the call exactly as it was. */
describe("bad input", () => {
  let key = "";
  let callId = "";
  let before = "";

  const snapshot = async () => JSON.stringify(await (await api(`/api/v1/calls/${callId}`, { key })).json());
  const postTurn = (init: RequestInit & { json?: unknown }, query = "") =>
    api(`/api/v1/calls/${callId}/turns${query}`, { method: "POST", key, ...init });

  beforeAll(async () => {
    ({ key } = await tenant());
    callId = await startCall(key, { context: { keep: true } });
    before = await snapshot();
  });

  const unchanged = async () => expect(await snapshot()).toBe(before);

  it("malformed JSON", async () => {
    await expectProblem(
      await postTurn({ body: "{ text: oops", headers: { "Content-Type": "application/json" } }),
      400,
      "invalid_json",
    );
    await expectProblem(
      await api("/api/v1/calls", {
        method: "POST",
        key,
        body: "{nope",
        headers: { "Content-Type": "application/json" },
      }),
      400,
      "invalid_json",
    );
    await unchanged();
  });

  it("a JSON turn that is neither text nor dtmf", async () => {
    await expectProblem(await postTurn({ json: { words: "hi" } }), 400, "invalid_request");
    await expectProblem(await postTurn({ json: { dtmf: "12x" } }), 400, "invalid_request");
    await expectProblem(await postTurn({ json: { text: "   " } }), 400, "invalid_request");
    await unchanged();
  });

  it("an invalid call id", async () => {
    await expectProblem(await api("/api/v1/calls/bad%20id!", { key }), 400, "invalid_request");
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key, json: { callId: "x".repeat(65) } }),
      400,
      "invalid_request",
    );
  });

  it("an unknown call", async () => {
    await expectProblem(await api("/api/v1/calls/no-such-call", { key }), 404, "call_not_found");
    await expectProblem(
      await api("/api/v1/calls/no-such-call/turns", { method: "POST", key, json: { text: "hi" } }),
      404,
      "call_not_found",
    );
    await expectProblem(await api("/api/v1/calls/no-such-call/end", { method: "POST", key }), 404, "call_not_found");
  });

  it("text over 5,000 characters", async () => {
    await expectProblem(await postTurn({ json: { text: "a".repeat(5001) } }), 422, "text_too_long");
    await unchanged();
  });

  it("audio bytes that are not what the content type says", async () => {
    await expectProblem(
      await postTurn({ body: balanceWav, headers: { "Content-Type": "audio/ogg" } }),
      400,
      "invalid_audio",
    );
    await expectProblem(
      await postTurn({ body: balanceOgg, headers: { "Content-Type": "audio/wav" } }),
      400,
      "invalid_audio",
    );
    await expectProblem(
      await postTurn({
        body: new TextEncoder().encode("hello, not audio at all"),
        headers: { "Content-Type": "audio/wav" },
      }),
      400,
      "invalid_audio",
    );
    await unchanged();
  });

  it("a truncated WAV", async () => {
    await expectProblem(
      await postTurn({ body: balanceWav.slice(0, 30), headers: { "Content-Type": "audio/wav" } }),
      400,
      "invalid_audio",
    );
    await expectProblem(
      await postTurn({ body: balanceWav.slice(0, balanceWav.length / 2), headers: { "Content-Type": "audio/wav" } }),
      400,
      "invalid_audio",
    );
    await unchanged();
  });

  it("an unsupported media type", async () => {
    await expectProblem(
      await postTurn({ body: "hello", headers: { "Content-Type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await postTurn({ body: balanceWav, headers: { "Content-Type": "video/mp4" } }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(await postTurn({ json: { text: "hi" } }, "?format=flac"), 400, "invalid_request");
    await unchanged();
  });

  it("an empty body", async () => {
    await expectProblem(
      await postTurn({ body: new Uint8Array(0), headers: { "Content-Type": "audio/wav" } }),
      400,
      "invalid_audio",
    );
    await expectProblem(
      await postTurn({ body: "", headers: { "Content-Type": "application/json" } }),
      400,
      "invalid_json",
    );
    await expectProblem(await postTurn({}), 415, "unsupported_media_type");
    await unchanged();
  });

  it("audio over 10 MiB", async () => {
    const big = new Uint8Array(10 * 1024 * 1024 + 100);
    big.set(balanceWav.subarray(0, 44));
    await expectProblem(
      await postTurn({ body: big, headers: { "Content-Type": "audio/wav" } }),
      413,
      "payload_too_large",
    );
    await unchanged();
  });

  it("an oversized context", async () => {
    const huge = { blob: "x".repeat(17 * 1024) };
    await expectProblem(
      await api(`/api/v1/calls/${callId}`, { method: "PATCH", key, json: { context: huge } }),
      413,
      "payload_too_large",
    );
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key, json: { context: huge } }),
      413,
      "payload_too_large",
    );
    await unchanged();
  });

  it("unknown fields, flows and routes", async () => {
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key, json: { callid: "typo" } }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key, json: { flow: "nope" } }),
      422,
      "unknown_flow",
    );
    await expectProblem(await api("/api/v1/nothing-here", { key }), 404, "not_found");
    await expectProblem(await api("/api/v1/calls?limit=0", { key }), 400, "invalid_request");
    await expectProblem(await api("/api/v1/calls?cursor=zzz", { key }), 400, "invalid_request");
  });
});
