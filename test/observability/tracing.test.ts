import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { resetHealthForTests } from "../../src/routing/health-registry";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import { apiRequest, startCall, tenant } from "../helpers/api";
import { fetchWithSettings, setCallBindings } from "../helpers/objects";

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const COLLECTOR = "https://collector.test";
const OTEL = {
  OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR,
  OTEL_EXPORTER_OTLP_HEADERS: "x-honeycomb-team=hc-secret%3D1,x-other=2",
  OTEL_EXPORTER_OTLP_TIMEOUT: "300",
};
const CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const CLIENT_SPAN = "b7ad6b7169203331";

interface OtlpAttr {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttr[];
  status?: { code?: number };
}
interface Span {
  traceId: string;
  spanId: string;
  parent: string | undefined;
  name: string;
  kind: number;
  attrs: Record<string, unknown>;
  service: string;
}

function parseOtlp(body: string): Span[] {
  const payload = JSON.parse(body) as {
    resourceSpans: { resource: { attributes: OtlpAttr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
  };
  const value = (a: OtlpAttr) =>
    a.value.stringValue ?? (a.value.intValue !== undefined ? Number(a.value.intValue) : a.value.boolValue);
  return payload.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parent: s.parentSpanId || undefined,
        name: s.name,
        kind: s.kind,
        attrs: Object.fromEntries(s.attributes.map((a) => [a.key, value(a)])),
        service: String(value(rs.resource.attributes.find((a) => a.key === "service.name")!)),
      })),
    ),
  );
}

const deepgramAnswer = () =>
  Response.json({
    metadata: { request_id: "r1" },
    results: {
      channels: [
        {
          alternatives: [
            { transcript: "i would like to check my account balance please", confidence: 0.97, words: [] },
          ],
        },
      ],
    },
  });

/**
 * Intercepts the collector (recording each export and its headers) and Deepgram (failing `sttFailures` times first).
 */
function intercept(options: { sttFailures?: number; collector?: (req: Request) => Promise<Response> } = {}) {
  const exports: { spans: Span[]; headers: Headers }[] = [];
  let failures = options.sttFailures ?? 0;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (req.url.startsWith(COLLECTOR)) {
      if (options.collector) return options.collector(req);
      expect(req.url).toBe(`${COLLECTOR}/v1/traces`);
      exports.push({ spans: parseOtlp(await req.text()), headers: req.headers });
      return new Response("{}", { status: 200 });
    }
    if (failures-- > 0) return new Response("overloaded", { status: 503 });
    return deepgramAnswer();
  });
  return { exports, spans: () => exports.flatMap((e) => e.spans) };
}

async function tracedCall(vars: Record<string, string> = OTEL) {
  const { tenantId, key } = await tenant();
  const callId = await startCall(key);
  await setCallBindings(tenantId, callId, { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-secret-key", ...vars });
  return { tenantId, key, callId };
}

function audioTurn(key: string, callId: string, headers: Record<string, string> = {}): Request {
  return apiRequest(`/api/v1/calls/${callId}/turns?reply=text`, {
    method: "POST",
    key,
    body: balanceWav,
    headers: { "Content-Type": "audio/wav", ...headers },
  });
}

describe("tracing over OTLP/HTTP", () => {
  it(
    "exports request → " +
      "DO turn → stt → " +
      "provider attempts, " +
      "nlp, tts, continuing " +
      "the client's traceparent",
    async () => {
      const { tenantId, key, callId } = await tracedCall();
      const collector = intercept({ sttFailures: 1 });
      const res = await fetchWithSettings(
        OTEL,
        audioTurn(key, callId, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` }),
      );
      expect(res.status, await res.clone().text()).toBe(200);
      // The object exports in its own waitUntil, after the Worker's.
      await vi.waitFor(() => expect(collector.spans().some((s) => s.name === "CallSession.turn")).toBe(true));
      const spans = collector.spans();
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([CLIENT_TRACE]));
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const one = (name: string) => {
        const found = spans.filter((s) => s.name === name);
        expect(found, name).toHaveLength(1);
        return found[0]!;
      };
      const request = one("POST /api/v1/calls/:callId/turns");
      expect(request.parent).toBe(CLIENT_SPAN);
      expect(request.kind).toBe(2); // SERVER
      expect(request.attrs).toMatchObject({ "http.response.status_code": 200, "voice.tenant_id": tenantId });
      const rpc = one("CallSession.turn rpc");
      expect(rpc.parent).toBe(request.spanId);
      const doTurn = one("CallSession.turn");
      expect(doTurn.parent).toBe(rpc.spanId);
      expect(doTurn.attrs).toMatchObject({ "voice.call_id": callId, "voice.tenant_id": tenantId });
      const stt = one("stt");
      const nlp = one("nlp");
      const tts = one("tts");
      for (const stage of [stt, nlp, tts]) expect(stage.parent).toBe(doTurn.spanId);
      expect(stt.attrs).toMatchObject({ "voice.provider": "deepgram", "voice.source": "speech" });
      expect(nlp.attrs).toMatchObject({ "voice.intent": "check_balance" });
      const attempts = spans.filter((s) => s.name === "provider.attempt" && s.parent === stt.spanId);
      expect(attempts.map((a) => a.attrs)).toEqual([
        expect.objectContaining({
          "voice.provider": "deepgram",
          "voice.attempt": 1,
          "voice.outcome": "failed",
          "http.response.status_code": 503,
        }),
        expect.objectContaining({ "voice.provider": "deepgram", "voice.attempt": 2, "voice.outcome": "success" }),
      ]);
      expect(attempts.every((a) => typeof a.attrs["voice.region"] === "string")).toBe(true);
      // Every span is in the tree under the request span.
      for (const s of spans) {
        let at: Span | undefined = s;
        while (at && at !== request) at = at.parent ? byId.get(at.parent) : undefined;
        expect(at, s.name).toBe(request);
      }
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(["voice-edge"]));
      // OTEL_EXPORTER_OTLP_HEADERS, URL-decoded, on every export.
      for (const e of collector.exports) expect(e.headers.get("x-honeycomb-team")).toBe("hc-secret=1");
      // No secret or caller text in the spans.
      const all = JSON.stringify(spans);
      expect(all).not.toContain("dg-secret-key");
      expect(all).not.toContain("account balance");
    },
  );

  it("starts a trace with the request's own trace id when the client sends none", async () => {
    const { key, callId } = await tracedCall();
    const collector = intercept();
    const res = await fetchWithSettings(OTEL, audioTurn(key, callId));
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(collector.spans().some((s) => s.name === "CallSession.turn")).toBe(true));
    const request = collector.spans().find((s) => s.kind === 2 && !s.parent)!;
    expect(request).toBeDefined();
    expect(new Set(collector.spans().map((s) => s.traceId))).toEqual(new Set([request.traceId]));
  });

  it("a collector that fails or hangs costs the turn nothing", async () => {
    const warn = vi.spyOn(console, "warn");
    const failedExports = () => warn.mock.calls.filter((c) => String(c[0]).includes("trace_export_failed")).length;
    for (const [i, collector] of [
      async () => new Response("down", { status: 500 }),
      (req: Request) =>
        new Promise<Response>((_, reject) => req.signal.addEventListener("abort", () => reject(req.signal.reason))),
    ].entries()) {
      const { key, callId } = await tracedCall();
      intercept({ collector });
      const ctx = createExecutionContext();
      const t0 = Date.now();
      const res = await worker.fetch(audioTurn(key, callId), { ...env, ...OTEL } as Env, ctx);
      expect(res.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(250);
      await waitOnExecutionContext(ctx);
      // A warning for the Worker's export and the object's (each invocation exports once); the turn saw none of it.
      await vi.waitFor(() => expect(failedExports()).toBeGreaterThanOrEqual(2 * (i + 1)));
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("exports nothing when no endpoint is configured", async () => {
    const { key, callId } = await tracedCall({});
    const collector = intercept();
    const res = await fetchWithSettings({}, audioTurn(key, callId));
    expect(res.status).toBe(200);
    expect(collector.exports).toHaveLength(0);
  });
});
