import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HistoryEntry, SessionRecord } from "../../src/durable/call-types";
import { readCall, writeCallArchive } from "../../src/storage/warm-store";
import { uid } from "../helpers/api";

const at = "2026-11-26T00:00:00.000Z";
function session(tenantId: string, callId: string): SessionRecord {
  return {
    tenantId, callId, userId: null, language: "en-US", flow: "contact-center", state: "", context: {}, metadata: {}, status: "ended", endReason: "client",
    createdAt: at, lastActivityAt: at, endedAt: at, turnCount: 2, archivedAt: at, residency: null,
  };
}
const history: HistoryEntry[] = [
  { turnId: "turn-0", role: "assistant", text: "Hello", at },
  { turnId: "turn-1", role: "user", text: "billing", at, source: "text", intent: { name: "billing", confidence: 1, slots: {} }, latencyMs: { stt: 0, nlp: 1, tts: 2, total: 3 } },
  { turnId: "turn-1", role: "assistant", text: "Billing it is", at },
  { turnId: "turn-2", role: "user", text: "bye", at, source: "dtmf" },
  { turnId: "turn-2", role: "assistant", text: "Goodbye", at },
];

describe("the warm tier's turn rows", () => {
  it("stores a turn (caller and reply) as one row and reads the history back whole", async () => {
    const tenantId = uid("t");
    const callId = uid("c");
    await writeCallArchive(env.DB, session(tenantId, callId), history);
    const rows = await env.DB.prepare("SELECT turn_id, role, reply_text FROM turns WHERE tenant_id = ? AND call_id = ? ORDER BY seq").bind(tenantId, callId).all();
    expect(rows.results).toEqual([
      { turn_id: "turn-0", role: "assistant", reply_text: null },
      { turn_id: "turn-1", role: "user", reply_text: "Billing it is" },
      { turn_id: "turn-2", role: "user", reply_text: "Goodbye" },
    ]);
    expect((await readCall(env.DB, tenantId, callId))?.history).toEqual(history);
  });

  it("reads rows written one per entry, before replies shared their turn's row", async () => {
    const tenantId = uid("t");
    const callId = uid("c");
    await writeCallArchive(env.DB, session(tenantId, callId), []);
    const insert = env.DB.prepare("INSERT INTO turns (tenant_id, call_id, seq, turn_id, role, text, at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    await env.DB.batch(history.map((h, seq) => insert.bind(tenantId, callId, seq, h.turnId, h.role, h.text, h.at)));
    expect((await readCall(env.DB, tenantId, callId))?.history.map((h) => `${h.turnId}:${h.role}:${h.text}`)).toEqual(history.map((h) => `${h.turnId}:${h.role}:${h.text}`));
  });
});
