import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HistoryEntry, SessionRecord } from "../../src/call/records";
import { readCall, writeCallArchive } from "../../src/storage/warm-store";
import { uid } from "../helpers/api";

const at = "2026-11-26T00:00:00.000Z";
function session(tenantId: string, callId: string): SessionRecord {
  return {
    tenantId,
    callId,
    userId: null,
    language: "en-US",
    flow: "contact-center",
    state: "",
    context: {},
    metadata: {},
    status: "ended",
    endReason: "client",
    createdAt: at,
    lastActivityAt: at,
    endedAt: at,
    turnCount: 2,
    archivedAt: at,
    residency: null,
  };
}
const history: HistoryEntry[] = [
  { turnId: "turn-0", role: "assistant", text: "Hello", at },
  {
    turnId: "turn-1",
    role: "user",
    text: "billing",
    at,
    source: "text",
    intent: { name: "billing", confidence: 1, slots: {} },
    latencyMs: { stt: 0, nlp: 1, tts: 2, total: 3 },
  },
  { turnId: "turn-1", role: "assistant", text: "Billing it is", at },
  { turnId: "turn-2", role: "user", text: "bye", at, source: "dtmf" },
  { turnId: "turn-2", role: "assistant", text: "Goodbye", at },
];

describe("the warm tier's history", () => {
  it("stores an archived call's history in its calls row (no row per turn) and reads it back whole", async () => {
    const tenantId = uid("t");
    const callId = uid("c");
    const written = await writeCallArchive(env.DB, session(tenantId, callId), history);
    // The calls row and its index entries: a handful of rows, whatever the number of turns.
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(6);
    const turns = await env.DB.prepare("SELECT COUNT(*) AS n FROM turns WHERE tenant_id = ? AND call_id = ?")
      .bind(tenantId, callId)
      .first<{ n: number }>();
    expect(turns?.n).toBe(0);
    expect((await readCall(env.DB, tenantId, callId))?.history).toEqual(history);
  });

  it("reads turn rows that shared a caller's entry and its reply (migration 0004), before 0005", async () => {
    const tenantId = uid("t");
    const callId = uid("c");
    await writeCallArchive(env.DB, session(tenantId, callId), []);
    await env.DB.prepare("UPDATE calls SET history_json = NULL WHERE tenant_id = ? AND call_id = ?")
      .bind(tenantId, callId)
      .run();
    const insert = env.DB.prepare(
      "INSERT INTO turns (tenant_id, call_id, seq, turn_id, role, text, source, intent, confidence, stt_ms, " +
        "nlp_ms, tts_ms, total_ms, at, reply_text, reply_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    await env.DB.batch([
      insert.bind(
        tenantId,
        callId,
        0,
        "turn-0",
        "assistant",
        "Hello",
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        at,
        null,
        null,
      ),
      insert.bind(
        tenantId,
        callId,
        1,
        "turn-1",
        "user",
        "billing",
        "text",
        JSON.stringify({ name: "billing", confidence: 1, slots: {} }),
        1,
        0,
        1,
        2,
        3,
        at,
        "Billing it is",
        at,
      ),
      insert.bind(
        tenantId,
        callId,
        2,
        "turn-2",
        "user",
        "bye",
        "dtmf",
        null,
        null,
        null,
        null,
        null,
        null,
        at,
        "Goodbye",
        at,
      ),
    ]);
    expect((await readCall(env.DB, tenantId, callId))?.history).toEqual(history);
  });

  it("reads rows written one per entry, before replies shared their turn's row", async () => {
    const tenantId = uid("t");
    const callId = uid("c");
    await writeCallArchive(env.DB, session(tenantId, callId), []);
    await env.DB.prepare("UPDATE calls SET history_json = NULL WHERE tenant_id = ? AND call_id = ?")
      .bind(tenantId, callId)
      .run();
    const insert = env.DB.prepare(
      "INSERT INTO turns (tenant_id, call_id, seq, turn_id, role, text, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    await env.DB.batch(history.map((h, seq) => insert.bind(tenantId, callId, seq, h.turnId, h.role, h.text, h.at)));
    expect((await readCall(env.DB, tenantId, callId))?.history.map((h) => `${h.turnId}:${h.role}:${h.text}`)).toEqual(
      history.map((h) => `${h.turnId}:${h.role}:${h.text}`),
    );
  });
});
