import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, startCall, tenant } from "../helpers/api";

const DAY = 86_400_000;

async function runCron(at: Date) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("retention cron", () => {
  it("moves old ended calls out of D1 only when R2 holds them, and expires old R2 archives", async () => {
    const { tenantId, key } = await tenant();
    const archived = await startCall(key);
    await api(`/api/v1/calls/${archived}/end`, { method: "POST", key });
    // An ended row whose archive never reached R2 must stay in D1.
    const unarchived = "never-archived";
    await env.DB.prepare(
      "INSERT INTO calls (tenant_id, call_id, language, flow, status, created_at, last_activity_at, " +
        "ended_at, archived_at) VALUES (?, ?, 'en-US', 'contact-center', 'ended', ?, ?, ?, ?)",
    )
      .bind(
        tenantId,
        unarchived,
        "2020-01-01T00:00:00Z",
        "2020-01-01T00:00:00Z",
        "2020-01-01T00:00:00Z",
        "2020-01-01T00:00:00Z",
      )
      .run();

    await runCron(new Date(Date.now() + 31 * DAY));
    expect((await (await api(`/api/v1/calls/${archived}`, { key })).json()) as object).toMatchObject({ tier: "cold" });
    const kept = await env.DB.prepare("SELECT call_id FROM calls WHERE tenant_id = ? AND call_id = ?")
      .bind(tenantId, unarchived)
      .first();
    expect(kept).not.toBeNull();

    await runCron(new Date(Date.now() + 366 * DAY));
    expect((await api(`/api/v1/calls/${archived}`, { key })).status).toBe(404);
  });

  it("expires cached speech after TTS_CACHE_TTL_SECONDS", async () => {
    const { key } = await tenant();
    await api("/api/v1/voice/synthesize", { method: "POST", key, json: { text: "Goodbye for now." } });
    const cached = async () => (await env.ARCHIVE.list({ prefix: "cache/tts/" })).objects.length;
    const before = await cached();
    expect(before).toBeGreaterThan(0);
    await runCron(new Date(Date.now() + 1 * DAY));
    expect(await cached()).toBe(before);
    await runCron(new Date(Date.now() + 8 * DAY));
    expect(await cached()).toBe(0);
  });
});
