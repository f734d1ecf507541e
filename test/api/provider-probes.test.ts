import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseWav } from "../../src/audio/wav";
import { pcm16ToSamples } from "../../src/audio/pcm";
import worker from "../../src/index";
import { healthSnapshot, resetHealthForTests } from "../../src/routing/health-registry";
import { PROBE_CRON, runProbes } from "../../src/routing/probe";
import { ADMIN_TOKEN } from "../helpers/api";
import { fetchWithSettings } from "../helpers/objects";

const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DEEPGRAM_KEY = "dg-probe-key-0123456789abcdef0123456789";
const POLLY = {
  TTS_PROVIDERS: "polly,local",
  POLLY_REGIONS: "us-east-1,eu-central-1,ap-northeast-1",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: AWS_SECRET,
};
const DEEPGRAM = { DEEPGRAM_API_KEY: DEEPGRAM_KEY };

/** Deepgram's documented pre-recorded answer, trimmed to what the adapter reads. */
const LISTEN_ANSWER = {
  metadata: { request_id: "a847f427-4ad5-4d67-9b95-db801e58251c", duration: 0.7, channels: 1 },
  results: { channels: [{ alternatives: [{ transcript: "voice edge", confidence: 0.97, words: [] }] }] },
};

interface Seen {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array;
}

/**
 * Answers as the providers do on the wire: Polly SynthesizeSpeech with audio/pcm bytes (or a 503
 * ServiceFailureException for `downHosts`), Deepgram /v1/speak with raw linear16 and /v1/listen
 * with its JSON.
 */
function providers(downHosts: string[] = []) {
  const seen: Seen[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    seen.push({ method: req.method, url, headers: req.headers, body: new Uint8Array(await req.arrayBuffer()) });
    if (downHosts.includes(url.host)) {
      return new Response(JSON.stringify({ message: "Service unavailable" }), {
        status: 503,
        headers: { "x-amzn-ErrorType": "ServiceFailureException", "Content-Type": "application/json" },
      });
    }
    if (url.host.startsWith("polly."))
      return new Response(new Uint8Array(3200), {
        headers: { "Content-Type": "audio/pcm", "x-amzn-RequestCharacters": "10" },
      });
    if (url.pathname === "/v1/speak")
      return new Response(new Uint8Array(3200), { headers: { "Content-Type": "audio/l16" } });
    if (url.pathname === "/v1/listen") return Response.json(LISTEN_ANSWER);
    return new Response("unexpected", { status: 404 });
  });
  return { seen, spy };
}

async function cron(vars: Record<string, string>, cronString = PROBE_CRON, at = new Date()) {
  const ctx = createExecutionContext();
  await worker.scheduled(
    createScheduledController({ scheduledTime: at, cron: cronString }),
    { ...env, ...vars } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
}

interface Row {
  provider: string;
  region: string;
  kind: string;
  ok: number;
  status: number | null;
  error_kind: string | null;
  error: string | null;
  latency_ms: number | null;
  probed_at: string;
  consecutive_failures: number;
}

async function rows(): Promise<Row[]> {
  return (await env.DB.prepare("SELECT * FROM provider_probes ORDER BY kind, provider, region").all<Row>()).results;
}

const row = (all: Row[], provider: string, region: string, kind = "tts") =>
  all.find((r) => r.provider === provider && r.region === region && r.kind === kind);

async function admin(path: string, vars: Record<string, string>) {
  return fetchWithSettings(
    vars,
    new Request(`http://voice-edge.test${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
  );
}

const clearProbes = () => env.DB.prepare("DELETE FROM provider_probes").run();

beforeEach(async () => {
  resetHealthForTests();
  await clearProbes();
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  resetHealthForTests();
  await clearProbes();
});

describe("active provider probes (5-minute cron)", () => {
  it("is off by default: no request to any provider, nothing stored", async () => {
    const { spy } = providers();
    await cron(POLLY);
    await cron({ ...POLLY, PROVIDER_PROBES: "off" });
    expect(spy).not.toHaveBeenCalled();
    expect(await rows()).toEqual([]);
  });

  it(
    "tts: one request per text-to-speech provider-region in its " +
      "wire format, the local engine skipped, results in D1",
    async () => {
      const { seen } = providers(["polly.eu-central-1.amazonaws.com"]);
      const at = new Date("2031-05-04T10:05:00.000Z");
      await cron(
        {
          ...POLLY,
          ...DEEPGRAM,
          TTS_PROVIDERS: "polly,deepgram,local",
          STT_PROVIDERS: "deepgram",
          PROVIDER_PROBES: "tts",
        },
        PROBE_CRON,
        at,
      );

      expect(seen.map((s) => s.url.host).sort()).toEqual(
        [
          "api.deepgram.com",
          "polly.ap-northeast-1.amazonaws.com",
          "polly.eu-central-1.amazonaws.com",
          "polly.us-east-1.amazonaws.com",
        ].sort(),
      );
      for (const polly of seen.filter((s) => s.url.host.startsWith("polly."))) {
        expect(polly.method).toBe("POST");
        expect(polly.url.pathname).toBe("/v1/speech");
        expect(polly.headers.get("Authorization")).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
        expect(JSON.parse(new TextDecoder().decode(polly.body))).toMatchObject({
          Text: "voice edge",
          TextType: "text",
          OutputFormat: "pcm",
          VoiceId: "Joanna",
        });
      }
      const speak = seen.find((s) => s.url.host === "api.deepgram.com")!;
      expect(speak.url.pathname).toBe("/v1/speak");
      expect(speak.headers.get("Authorization")).toBe(`Token ${DEEPGRAM_KEY}`);
      expect(JSON.parse(new TextDecoder().decode(speak.body))).toEqual({ text: "voice edge" });
      // STT is not probed in "tts" mode, and /v1/listen was never called.
      expect(seen.some((s) => s.url.pathname === "/v1/listen")).toBe(false);

      const stored = await rows();
      expect(stored.map((r) => `${r.kind} ${r.provider}@${r.region}`)).toEqual([
        "tts deepgram@global",
        "tts polly@ap-northeast-1",
        "tts polly@eu-central-1",
        "tts polly@us-east-1",
      ]);
      expect(row(stored, "polly", "us-east-1")).toMatchObject({
        ok: 1,
        status: null,
        error: null,
        probed_at: at.toISOString(),
        consecutive_failures: 0,
      });
      expect(row(stored, "polly", "us-east-1")?.latency_ms).toBeGreaterThanOrEqual(0);
      expect(row(stored, "polly", "eu-central-1")).toMatchObject({
        ok: 0,
        status: 503,
        error_kind: "retryable",
        consecutive_failures: 1,
      });
      expect(row(stored, "polly", "eu-central-1")?.error).toMatch(/^polly: /);
      expect(JSON.stringify(stored)).not.toContain(AWS_SECRET);
    },
  );

  it(
    "feeds this isolate's health registry: latency for " + "the answering regions, errors for the failing one",
    async () => {
      providers(["polly.eu-central-1.amazonaws.com"]);
      await cron({ ...POLLY, PROVIDER_PROBES: "tts" });
      const health = healthSnapshot();
      const of = (region: string) => health.find((h) => h.provider === "polly" && h.region === region);
      expect(of("us-east-1")).toMatchObject({ errorRate: 0, breaker: { calls: 1, failureRate: 0 } });
      expect(of("us-east-1")?.latencyMs).toBeGreaterThanOrEqual(0);
      expect(of("eu-central-1")).toMatchObject({ errorRate: 1, breaker: { calls: 1, failureRate: 1 } });
      expect(health.some((h) => h.provider === "local")).toBe(false);
    },
  );

  it("records broken settings as a failed probe naming the setting, and still probes the rest", async () => {
    const { seen } = providers();
    // One malformed region in Polly's list, and Deepgram with no key at all.
    await cron({
      ...POLLY,
      POLLY_REGIONS: "us-east-1,Mars North",
      TTS_PROVIDERS: "deepgram,polly",
      DEEPGRAM_API_KEY: "",
      PROVIDER_PROBES: "tts",
    });
    expect(seen.map((s) => s.url.host)).toEqual(["polly.us-east-1.amazonaws.com"]);
    const stored = await rows();
    expect(stored).toHaveLength(3);
    expect(row(stored, "polly", "us-east-1")).toMatchObject({ ok: 1 });
    const badRegion = row(stored, "polly", "POLLY_REGIONS#2");
    expect(badRegion).toMatchObject({ ok: 0, status: null, error_kind: "settings", latency_ms: null });
    expect(badRegion?.error).toContain("POLLY_REGION");
    const deepgram = row(stored, "deepgram", "default");
    expect(deepgram).toMatchObject({ ok: 0, error_kind: "settings" });
    expect(deepgram?.error).toContain("DEEPGRAM_API_KEY");
  });

  it("all: also sends each speech-to-text engine a short clip of real speech", async () => {
    const { seen } = providers();
    await cron({ ...POLLY, ...DEEPGRAM, TTS_PROVIDERS: "local", STT_PROVIDERS: "deepgram", PROVIDER_PROBES: "all" });
    expect(seen).toHaveLength(1);
    const listen = seen[0]!;
    expect(listen.url.host).toBe("api.deepgram.com");
    expect(listen.url.pathname).toBe("/v1/listen");
    expect(listen.headers.get("Content-Type")).toBe("audio/wav");
    const wav = parseWav(listen.body);
    expect(wav.sampleRate).toBe(8000);
    const samples = pcm16ToSamples(wav.data, true);
    const seconds = samples.length / wav.sampleRate;
    expect(seconds).toBeGreaterThan(0.3);
    expect(seconds).toBeLessThan(1.5);
    // Speech, not silence or a tone the pipeline's shortcuts would answer: loud enough, and varying.
    const rms = Math.sqrt(samples.reduce((s, v) => s + v * v, 0) / samples.length);
    expect(rms).toBeGreaterThan(500);

    expect((await rows()).map((r) => `${r.kind} ${r.provider}@${r.region} ${r.ok}`)).toEqual(["stt deepgram@global 1"]);
  });

  it("times a hanging provider out and records it as a timeout", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
    );
    const run = await runProbes(
      { ...env, ...POLLY, POLLY_REGIONS: "us-east-1", PROVIDER_PROBES: "tts" } as unknown as Env,
      new Date(),
      { timeoutMs: 50 },
    );
    expect(run).toMatchObject({ mode: "tts", probed: 1, failed: 1 });
    expect(run.results[0]).toMatchObject({
      provider: "polly",
      region: "us-east-1",
      ok: false,
      errorKind: "timeout",
      error: "no answer within 50 ms",
    });
    expect(row(await rows(), "polly", "us-east-1")).toMatchObject({ ok: 0, error_kind: "timeout" });
  });

  it("runs probes in parallel, at most four at a time", async () => {
    let inFlight = 0;
    let most = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return new Response(new Uint8Array(3200), { headers: { "Content-Type": "audio/pcm" } });
    });
    const regions = "us-east-1,us-west-2,eu-west-1,eu-central-1,ap-northeast-1,ap-southeast-2,sa-east-1";
    const run = await runProbes(
      { ...env, ...POLLY, POLLY_REGIONS: regions, PROVIDER_PROBES: "tts" } as unknown as Env,
      new Date(),
    );
    expect(run).toMatchObject({ probed: 7, failed: 0 });
    expect(most).toBe(4);
  });

  it(
    "keeps the latest result per provider-region, counts consecutive " +
      "failures, and forgets regions no longer configured",
    async () => {
      providers(["polly.eu-central-1.amazonaws.com"]);
      await cron({ ...POLLY, PROVIDER_PROBES: "tts" });
      await cron({ ...POLLY, PROVIDER_PROBES: "tts" });
      let stored = await rows();
      expect(stored).toHaveLength(3);
      expect(row(stored, "polly", "eu-central-1")?.consecutive_failures).toBe(2);
      expect(row(stored, "polly", "us-east-1")?.consecutive_failures).toBe(0);

      vi.restoreAllMocks();
      providers();
      await cron({ ...POLLY, POLLY_REGIONS: "eu-central-1", PROVIDER_PROBES: "tts" });
      stored = await rows();
      expect(stored.map((r) => `${r.provider}@${r.region} ${r.ok} ${r.consecutive_failures}`)).toEqual([
        "polly@eu-central-1 1 0",
      ]);
    },
  );

  it("dispatches by cron: the daily trigger runs retention, not probes", async () => {
    const { spy } = providers();
    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void logs.push(String(line)));
    await cron({ ...POLLY, PROVIDER_PROBES: "tts" }, "17 3 * * *");
    expect(spy).not.toHaveBeenCalled();
    expect(await rows()).toEqual([]);
    expect(logs.some((l) => l.includes('"event":"retention"'))).toBe(true);
    expect(logs.some((l) => l.includes('"event":"provider_probes"'))).toBe(false);

    logs.length = 0;
    await cron({ ...POLLY, PROVIDER_PROBES: "tts" }, "*/5 * * * *");
    expect(spy).toHaveBeenCalledTimes(3);
    expect(logs.some((l) => l.includes('"event":"retention"'))).toBe(false);
    const summary = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === "provider_probes");
    expect(summary).toMatchObject({ event: "provider_probes", probed: 3, failed: 0 });
    expect(typeof summary?.ms).toBe("number");
  });

  it("logs one line per failed probe", async () => {
    providers(["polly.eu-central-1.amazonaws.com"]);
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warnings.push(String(line)));
    await cron({ ...POLLY, PROVIDER_PROBES: "tts" });
    const failed = warnings
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === "provider_probe_failed");
    expect(failed).toEqual([
      expect.objectContaining({ provider: "polly", region: "eu-central-1", kind: "tts", status: 503 }),
    ]);
    expect(String(failed[0]?.error)).toMatch(/^polly: /);
  });
});

describe("probe results in every isolate's views", () => {
  interface ProbeView {
    provider: string;
    region: string;
    kind: string;
    ok: boolean;
    status?: number;
    error?: string;
    latencyMs?: number;
    probedAt: string;
    stale: boolean;
  }

  it("GET /api/v1/providers lists the last probes from D1 and the probing mode", async () => {
    providers(["polly.eu-central-1.amazonaws.com"]);
    const vars = { ...POLLY, PROVIDER_PROBES: "tts" };
    await cron(vars);
    // A fresh isolate (empty registry) still sees them: they come from D1, not from memory.
    resetHealthForTests();
    const res = await admin("/api/v1/providers", vars);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { probing: string; probes: ProbeView[]; health: unknown[]; chains: unknown };
    expect(body.probing).toBe("tts");
    // Listed as configured, with nothing learned in this isolate's memory.
    expect((body.health as { state: string; callsInWindow: number }[]).every((h) => h.callsInWindow === 0)).toBe(true);
    expect(body.probes).toHaveLength(3);
    expect(body.probes.find((p) => p.region === "eu-central-1")).toMatchObject({
      provider: "polly",
      kind: "tts",
      ok: false,
      status: 503,
      stale: false,
    });
    const ok = body.probes.find((p) => p.region === "us-east-1");
    expect(ok).toMatchObject({ ok: true, stale: false });
    expect(ok).not.toHaveProperty("status");
    expect(typeof ok?.latencyMs).toBe("number");

    const off = (await (await admin("/api/v1/providers", {})).json()) as { probing: string };
    expect(off.probing).toBe("off");
  });

  it("/readyz fails its probes check on a fresh failed probe, and only lists stale ones", async () => {
    providers(["polly.eu-central-1.amazonaws.com"]);
    const vars = { ...POLLY, PROVIDER_PROBES: "tts" };
    type Ready = { status: string; checks: Record<string, { ok: boolean; detail?: string }> };

    const before = (await (
      await fetchWithSettings(vars, new Request("http://voice-edge.test/readyz"))
    ).json()) as Ready;
    expect(before.checks.probes).toEqual({ ok: true, detail: "no probe results yet" });

    await cron(vars);
    const failing = (await (
      await fetchWithSettings(vars, new Request("http://voice-edge.test/readyz"))
    ).json()) as Ready;
    expect(failing.status).toBe("degraded");
    expect(failing.checks.probes?.ok).toBe(false);
    expect(failing.checks.probes?.detail).toContain("failing: polly@eu-central-1 tts (503)");
    expect(failing.checks.probes?.detail).toContain("2 ok");

    // The same results 20 minutes old: probing stopped, so they are shown but no longer fail the check.
    await clearProbes();
    await cron(vars, PROBE_CRON, new Date(Date.now() - 20 * 60_000));
    const stale = (await (await fetchWithSettings(vars, new Request("http://voice-edge.test/readyz"))).json()) as Ready;
    expect(stale.checks.probes?.ok).toBe(true);
    expect(stale.checks.probes?.detail).toContain("stale (older than 15 min): ");
    expect(stale.checks.probes?.detail).toContain("polly@eu-central-1 tts");
  });
});
