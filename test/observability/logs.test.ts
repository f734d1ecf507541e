import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import { api, apiRequest, startCall, tenant } from "../helpers/api";
import { fetchWithSettings, setCallBindings } from "../helpers/objects";

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const CARD = "4111 1111 1111 1111";
const SINK = "https://logs.test/voice-logs/_bulk";

function captureConsole(): () => Record<string, unknown>[] {
  const lines: unknown[][] = [];
  for (const level of ["log", "warn", "error"] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args));
  return () =>
    lines.map((args) => {
      expect(args).toHaveLength(1);
      return JSON.parse(String(args[0])) as Record<string, unknown>;
    });
}

describe("structured logs", () => {
  it("every line of a call is JSON with its ids, and none holds the card number or a provider secret", async () => {
    const { tenantId, key } = await tenant();
    const read = captureConsole();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-secret-key" });
    let sttCalls = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      sttCalls++ === 0
        ? new Response("busy", { status: 503 })
        : Response.json({
            metadata: { request_id: "r1" },
            results: { channels: [{ alternatives: [{ transcript: "check my balance", confidence: 0.9, words: [] }] }] },
          }),
    );
    const headers = { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, "X-Request-Id": "req-logs-0001" };
    const settings = { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-secret-key" };
    const text = await fetchWithSettings(
      settings,
      apiRequest(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: `my card is ${CARD}` },
        headers,
      }),
    );
    expect(text.status).toBe(200);
    const audio = await fetchWithSettings(
      settings,
      apiRequest(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        body: balanceWav,
        headers: { ...headers, "Content-Type": "audio/wav" },
      }),
    );
    expect(audio.status).toBe(200);
    const end = await fetchWithSettings(
      settings,
      apiRequest(`/api/v1/calls/${callId}/end`, { method: "POST", key, headers }),
    );
    expect(end.status).toBe(200);

    const lines = read();
    const raw = JSON.stringify(lines);
    expect(raw).not.toContain("4111");
    expect(raw).not.toContain("dg-secret-key");
    for (const line of lines) expect(Object.keys(line)[0]).toBe("event");
    const events = (name: string) => lines.filter((l) => l.event === name);
    expect(events("call_started")).toHaveLength(1);
    expect(events("call_started")[0]).toMatchObject({ tenantId, callId });
    const afterStart = lines.slice(lines.indexOf(events("call_started")[0]!) + 1);
    for (const line of afterStart.filter((l) => l.requestId === "req-logs-0001"))
      expect(line.traceId, JSON.stringify(line)).toBe(traceId);
    for (const name of ["turn", "stt_failover", "call_ended", "archive_written"]) {
      const found = events(name);
      expect(found.length, name).toBeGreaterThan(0);
      for (const l of found) expect(l, name).toMatchObject({ requestId: "req-logs-0001", traceId, tenantId, callId });
    }
    expect(events("turn")[0]).toMatchObject({ redacted: { card: 1 } });
    expect(events("stt_failover")[0]).toMatchObject({
      provider: "deepgram",
      attempts: expect.stringContaining("failed 503"),
    });
    for (const l of events("request"))
      expect(l).toMatchObject({ requestId: expect.any(String), traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it(
    "writes one line per request: a request " +
      "that caused a call event writes " +
      "that event, with the request's fields",
    async () => {
      const { tenantId, key } = await tenant();
      const read = captureConsole();
      const callId = await startCall(key);
      for (const text of ["billing", "check my balance"]) {
        expect(
          (await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text } })).status,
        ).toBe(200);
      }
      expect((await api(`/api/v1/calls/${callId}`, { key })).status).toBe(200);
      expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).status).toBe(200);

      const lines = read();
      // Five requests, five request lines (they carry method, path, status and ms), whatever their event.
      const requestLines = lines.filter((l) => "method" in l);
      expect(
        requestLines.map((l) => `${String(l.event)} ${String(l.method)} ${String(l.path)} ${String(l.status)}`),
      ).toEqual([
        `call_started POST /api/v1/calls 201`,
        `turn POST /api/v1/calls/${callId}/turns 200`,
        `turn POST /api/v1/calls/${callId}/turns 200`,
        `request GET /api/v1/calls/${callId} 200`,
        `call_ended POST /api/v1/calls/${callId}/end 200`,
      ]);
      for (const l of requestLines)
        expect(l).toMatchObject({
          requestId: expect.any(String),
          traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
          tenantId,
          ms: expect.any(Number),
        });
      // Each call event has exactly one line: the turns' carry the object's fields, and the archive,
      // which no request line carries, has its own.
      expect(lines.filter((l) => l.event === "turn")).toHaveLength(2);
      expect(lines.filter((l) => l.event === "turn")[1]).toMatchObject({
        callId,
        turnId: "turn-2",
        source: "text",
        latencyMs: { total: expect.any(Number) },
      });
      expect(lines.filter((l) => l.event === "call_started")[0]).toMatchObject({
        callId,
        flow: expect.any(String),
        language: "en-US",
      });
      expect(lines.filter((l) => l.event === "call_ended")[0]).toMatchObject({ callId, reason: "client", turns: 2 });
      expect(lines.filter((l) => l.event === "archive_written")).toEqual([
        expect.objectContaining({ callId, d1RowsWritten: expect.any(Number) }),
      ]);
      expect(lines.filter((l) => l.event === "archive_written")[0]).not.toHaveProperty("method");
    },
  );

  it("posts each invocation's lines to LOG_SINK_URL as Elasticsearch _bulk NDJSON", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const sink = { LOG_SINK_URL: SINK, LOG_SINK_AUTH: "ApiKey sink-secret" };
    await setCallBindings(tenantId, callId, sink);
    captureConsole();
    const posts: { body: string; auth: string | null; type: string | null }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      expect(req.url).toBe(SINK);
      posts.push({
        body: await req.text(),
        auth: req.headers.get("Authorization"),
        type: req.headers.get("Content-Type"),
      });
      return Response.json({ errors: false });
    });
    const res = await fetchWithSettings(
      sink,
      apiRequest(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: `card ${CARD}` } }),
    );
    expect(res.status).toBe(200);
    expect(
      (await fetchWithSettings(sink, apiRequest(`/api/v1/calls/${callId}/end`, { method: "POST", key }))).status,
    ).toBe(200);
    // The Worker's two requests (their lines are the turn and call_ended events) and the object's end RPC
    // (archive_written).
    await vi.waitFor(() => expect(posts.length).toBe(3));
    for (const p of posts) {
      expect(p.auth).toBe("ApiKey sink-secret");
      expect(p.type).toBe("application/x-ndjson");
      expect(p.body.endsWith("\n")).toBe(true);
      const rows = p.body.slice(0, -1).split("\n");
      expect(rows.length % 2).toBe(0);
      for (let i = 0; i < rows.length; i += 2) {
        expect(JSON.parse(rows[i]!)).toEqual({ index: {} });
        expect(JSON.parse(rows[i + 1]!)).toMatchObject({ "@timestamp": expect.any(String), event: expect.any(String) });
      }
      expect(p.body).not.toContain("4111");
    }
    const docs = posts.flatMap((p) =>
      p.body
        .split("\n")
        .filter((l, i) => i % 2 === 1 && l)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
    expect(docs.map((d) => d.event).sort()).toEqual(["archive_written", "call_ended", "turn"]);
  });

  it("a failing sink costs one warning, never the reply", async () => {
    const { key, tenantId } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, { LOG_SINK_URL: SINK });
    const read = captureConsole();
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("nope", { status: 500 }));
    const res = await fetchWithSettings(
      { LOG_SINK_URL: SINK },
      apiRequest(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "balance" } }),
    );
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(read().filter((l) => l.event === "log_sink_failed")).toHaveLength(1));
  });
});
