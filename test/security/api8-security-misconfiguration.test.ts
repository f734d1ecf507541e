import { describe, expect, it } from "vitest";
import { api, tenant } from "../helpers/api";
import { fetchWithSettings } from "../helpers/objects";

// OWASP API8:2023 Security Misconfiguration: security headers on every answer (errors too), CORS
// only for configured origins, no stack traces or setting values in errors.

const request = (path: string, init: RequestInit = {}) => new Request(`http://voice-edge.test${path}`, init);

function expectSecurityHeaders(res: Response, what: string) {
  expect(res.headers.get("X-Content-Type-Options"), what).toBe("nosniff");
  expect(res.headers.get("X-Frame-Options"), what).toBe("SAMEORIGIN");
  expect(res.headers.get("Strict-Transport-Security"), what).toContain("max-age=");
  expect(res.headers.get("Referrer-Policy"), what).toBe("no-referrer");
  expect(res.headers.get("X-Request-Id"), what).toBeTruthy();
}

describe("security misconfiguration", () => {
  it("sends the security headers on successes, refusals and errors", async () => {
    const { key } = await tenant();
    expectSecurityHeaders(await api("/healthz"), "healthz");
    expectSecurityHeaders(await api("/api/v1/calls", { key }), "list");
    expectSecurityHeaders(await api("/api/v1/calls"), "401");
    expectSecurityHeaders(await api("/nowhere"), "404");
    expectSecurityHeaders(
      await api("/api/v1/calls", { method: "POST", key, body: "{", headers: { "Content-Type": "application/json" } }),
      "400",
    );
  });

  it("answers no browser origin by default", async () => {
    const res = await api("/api/v1/calls", { headers: { Origin: "https://app.example" } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("allows exactly the configured origins, preflight included", async () => {
    const vars = { CORS_ORIGINS: "https://app.example, https://console.example" };
    const { key } = await tenant();
    const allowed = await fetchWithSettings(
      vars,
      request("/api/v1/calls", { headers: { Origin: "https://app.example", Authorization: `Bearer ${key}` } }),
    );
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(allowed.headers.get("Access-Control-Allow-Origin")).not.toBe("*");
    expect(allowed.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");

    const preflight = await fetchWithSettings(
      vars,
      request("/api/v1/calls", {
        method: "OPTIONS",
        headers: {
          Origin: "https://console.example",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, content-type",
        },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe("https://console.example");
    expect(preflight.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");

    for (const origin of ["https://evil.example", "https://app.example.evil.example", "null", "http://app.example"]) {
      const refused = await fetchWithSettings(
        vars,
        request("/api/v1/calls", { headers: { Origin: origin, Authorization: `Bearer ${key}` } }),
      );
      expect(refused.headers.get("Access-Control-Allow-Origin"), origin).toBeNull();
    }
  });

  it("names a broken setting without its value and without a stack trace", async () => {
    const res = await fetchWithSettings({ MAX_AUDIO_BYTES: "ten-megabytes-secret-looking-value" }, request("/healthz"));
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).toContain("MAX_AUDIO_BYTES");
    expect(text).not.toContain("ten-megabytes-secret-looking-value");
    expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  });

  it("never echoes a provider secret in a settings problem", async () => {
    const { key } = await tenant();
    const secret = "sk-live-very-secret-value-0123456789";
    const res = await fetchWithSettings(
      { TTS_PROVIDERS: "openai", OPENAI_API_KEY: secret, OPENAI_BASE_URL: `http://user:${secret}@example.com` },
      request("/api/v1/voice/synthesize", {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ text: "hi" }),
      }),
    );
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain(secret);
  });
});
