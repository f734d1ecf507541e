import { describe, expect, it } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { ADMIN_TOKEN, api, createKey, expectProblem, tenant, uid } from "../helpers/api";
import { fetchWithSettings } from "../helpers/objects";

interface ProvidersBody {
  scope: string;
  chains: {
    stt: { providers: { name: string; region: string }[]; problem?: string };
    tts: { providers: { name: string; region: string }[] };
  };
  health: {
    provider: string;
    region: string;
    state: string;
    callsInWindow: number;
    inFlight: number;
    capacity: number;
    latencyMs?: number;
    breakerProbes: { sent: number; succeeded: number; failed: number; inFlight: number };
  }[];
}

describe("GET /api/v1/providers", () => {
  it("is for operators and admin keys only", async () => {
    await expectProblem(await api("/api/v1/providers"), 401, "unauthorized");
    await expectProblem(
      await api("/api/v1/providers", { key: await createKey(uid("t"), ["calls:read", "voice"]) }),
      403,
      "forbidden",
    );
    expect((await api("/api/v1/providers", { key: ADMIN_TOKEN })).status).toBe(200);
  });

  it("shows the configured chains and what this isolate learned about each provider-region", async () => {
    const { key } = await tenant();
    await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: `Health check ${uid("x")}.` } });
    const body = (await (await api("/api/v1/providers", { key: ADMIN_TOKEN })).json()) as ProvidersBody;
    expect(body.scope).toBe("isolate");
    expect(body.chains.stt.providers).toEqual([]);
    expect(body.chains.tts.providers).toEqual([{ name: "local", region: "edge" }]);
    const local = body.health.find((h) => h.provider === "local" && h.region === "edge");
    expect(local).toMatchObject({ state: "closed", inFlight: 0 });
    expect(local?.capacity).toBeGreaterThan(0);
  });

  it("lists every configured provider-region with its breaker from the first request, before any is used", async () => {
    resetHealthForTests(); // a fresh isolate: no request has used a provider yet
    const vars = {
      STT_PROVIDERS: "deepgram",
      DEEPGRAM_API_KEY: "dg-listing-key-0123456789abcdef01234567",
      TTS_PROVIDERS: "polly,local",
      POLLY_REGIONS: "us-east-1,eu-central-1,ap-northeast-1",
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    const res = await fetchWithSettings(
      vars,
      new Request("http://voice-edge.test/api/v1/providers", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as ProvidersBody;
    const configured = [...body.chains.stt.providers, ...body.chains.tts.providers].map((p) => `${p.name}@${p.region}`);
    expect(configured).toHaveLength(5);
    expect(body.health.map((h) => `${h.provider}@${h.region}`).sort()).toEqual([...configured].sort());
    for (const h of body.health)
      expect(h).toMatchObject({
        state: "closed",
        callsInWindow: 0,
        inFlight: 0,
        breakerProbes: { sent: 0, succeeded: 0, failed: 0, inFlight: 0 },
      });
    resetHealthForTests();
  });

  it("says whether active probing is on and lists the last probe results (none while it is off)", async () => {
    const body = (await (await api("/api/v1/providers", { key: ADMIN_TOKEN })).json()) as ProvidersBody & {
      probing: string;
      probes: unknown[];
    };
    expect(body.probing).toBe("off");
    expect(Array.isArray(body.probes)).toBe(true);
  });
});
