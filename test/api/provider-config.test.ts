import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { tenant } from "../helpers/api";

/** The Worker with extra vars/secrets, as a deployment with other settings would run it. */
async function fetchWith(vars: Record<string, string>, path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://voice-edge.test${path}`, init), { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("provider configuration", () => {
  it("names an unknown provider in STT_PROVIDERS with a 503 problem, not a crash", async () => {
    const { key } = await tenant();
    const res = await fetchWith({ STT_PROVIDERS: "nosuch" }, "/api/v1/voice/synthesize", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ text: "hi" }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("provider_misconfigured");
    expect(body.detail).toContain("STT_PROVIDERS");
    expect(body.detail).toContain("nosuch");
  });

  it("reports a malformed numeric setting by name", async () => {
    const res = await fetchWith({ CALL_IDLE_TIMEOUT_SECONDS: "soon" }, "/healthz", {});
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("configuration_error");
    expect(body.detail).toContain("CALL_IDLE_TIMEOUT_SECONDS");
  });
});
