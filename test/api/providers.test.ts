import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createKey, expectProblem, tenant, uid } from "../helpers/api";

interface ProvidersBody {
  scope: string;
  chains: {
    stt: { providers: { name: string }[]; problem?: string };
    tts: { providers: { name: string; region: string }[] };
  };
  health: { provider: string; region: string; state: string; inFlight: number; capacity: number; latencyMs?: number }[];
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

  it("says whether active probing is on and lists the last probe results (none while it is off)", async () => {
    const body = (await (await api("/api/v1/providers", { key: ADMIN_TOKEN })).json()) as ProvidersBody & {
      probing: string;
      probes: unknown[];
    };
    expect(body.probing).toBe("off");
    expect(Array.isArray(body.probes)).toBe(true);
  });
});
