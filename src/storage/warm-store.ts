import { inSpan, SpanKind } from "../observability/tracing";
import type { CallAnalysis, CallView, HistoryEntry, SessionRecord } from "../call/records";
import type { Residency } from "../call/residency";

/** The warm tier: D1 rows for recent calls and their turns. */

interface CallRow {
  tenant_id: string;
  call_id: string;
  user_id: string | null;
  language: string;
  flow: string;
  status: "active" | "ended";
  end_reason: string | null;
  created_at: string;
  last_activity_at: string;
  ended_at: string | null;
  turn_count: number;
  context_json: string;
  metadata_json: string;
  archived_at: string | null;
  residency: Residency | null;
  history_json?: string | null;
  agent_id?: string | null;
  agent_version?: number | null;
  llm_tokens_json?: string | null;
  analysis_json?: string | null;
}

interface TurnRow {
  seq: number;
  turn_id: string;
  role: "user" | "assistant";
  text: string;
  source: string | null;
  intent: string | null;
  confidence: number | null;
  stt_ms: number | null;
  nlp_ms: number | null;
  tts_ms: number | null;
  total_ms: number | null;
  at: string;
  reply_text?: string | null;
  reply_at?: string | null;
}

function upsertCall(db: D1Database, s: SessionRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO calls (tenant_id, call_id, user_id, language, flow, status, end_reason, created_at, last_activity_at,
         ended_at, turn_count, context_json, metadata_json, archived_at, residency, agent_id, agent_version,
         llm_tokens_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, call_id) DO UPDATE SET
         status = excluded.status, end_reason = excluded.end_reason, last_activity_at = excluded.last_activity_at,
         ended_at = excluded.ended_at, turn_count = excluded.turn_count, context_json = excluded.context_json,
         llm_tokens_json = excluded.llm_tokens_json,
         archived_at = COALESCE(excluded.archived_at, calls.archived_at)
       -- an archived (ended) row is final: a late index job from an earlier state must not reopen it
       WHERE calls.status = 'active'`,
    )
    .bind(
      s.tenantId,
      s.callId,
      s.userId,
      s.language,
      s.flow,
      s.status,
      s.endReason,
      s.createdAt,
      s.lastActivityAt,
      s.endedAt,
      s.turnCount,
      JSON.stringify(s.context),
      JSON.stringify(s.metadata),
      s.archivedAt,
      s.residency ?? null,
      s.agent?.agentId ?? null,
      s.agent?.version ?? null,
      tokensJson(s),
    );
}

/**
 * Keeps the list of calls current while a call is live (status, activity, turn count), in one
 * batch with whatever else the call's sync sends (its audit rows).
 */
export async function indexCall(db: D1Database, s: SessionRecord, also: D1PreparedStatement[] = []): Promise<number> {
  return rowsWritten(await tracedBatch(db, "index_call", [upsertCall(db, s), ...also]));
}

/**
 * Writes the ended call, its whole history as one JSON column (one row, where a row per turn cost
 * a billed write each), and whatever else the call's last sync sends, in one transaction (a D1
 * batch). Returns D1's count of rows written.
 */
export async function writeCallArchive(
  db: D1Database,
  s: SessionRecord,
  history: HistoryEntry[],
  also: D1PreparedStatement[] = [],
): Promise<number> {
  return rowsWritten(
    await tracedBatch(db, "archive_call", [
      // The row exists unless every index job failed; then it is created here, else left alone.
      db
        .prepare(
          "INSERT INTO calls (tenant_id, call_id, user_id, language, flow, status, end_reason, created_at, " +
            `last_activity_at,
           ended_at, turn_count, context_json, metadata_json, archived_at, residency, agent_id, agent_version)
         VALUES (?, ?, ?, ?, ?, 'active', NULL, ?, ?, NULL, 0, '{}', ?, NULL, ?, ?, ?) ` +
            "ON CONFLICT (tenant_id, call_id) DO NOTHING",
        )
        .bind(
          s.tenantId,
          s.callId,
          s.userId,
          s.language,
          s.flow,
          s.createdAt,
          s.lastActivityAt,
          JSON.stringify(s.metadata),
          s.residency ?? null,
          s.agent?.agentId ?? null,
          s.agent?.version ?? null,
        ),
      // The ended row always wins over whatever an index job wrote before.
      db
        .prepare(
          "UPDATE calls SET status = ?, end_reason = ?, ended_at = ?, last_activity_at = ?, turn_count = ?, " +
            `context_json = ?,
           archived_at = ?, history_json = ?, llm_tokens_json = ?, analysis_json = ?
         WHERE tenant_id = ? AND call_id = ?`,
        )
        .bind(
          s.status,
          s.endReason,
          s.endedAt,
          s.lastActivityAt,
          s.turnCount,
          JSON.stringify(s.context),
          s.archivedAt,
          JSON.stringify(history),
          tokensJson(s),
          s.analysis ? JSON.stringify(s.analysis) : null,
          s.tenantId,
          s.callId,
        ),
      ...also,
    ]),
  );
}

function rowsWritten(results: D1Result[]): number {
  return results.reduce((n, r) => n + (r.meta?.rows_written ?? 0), 0);
}

/** A D1 batch in its own span (a no-op unless the invocation is traced). */
function tracedBatch(db: D1Database, op: string, statements: D1PreparedStatement[]): Promise<D1Result[]> {
  return inSpan(
    "d1.batch",
    { "voice.storage": "d1", "voice.d1.op": op, "voice.statements": statements.length },
    () => db.batch(statements),
    SpanKind.CLIENT,
  );
}

function toSession(r: CallRow): SessionRecord {
  return {
    tenantId: r.tenant_id,
    callId: r.call_id,
    userId: r.user_id,
    language: r.language,
    flow: r.flow,
    state: "",
    context: JSON.parse(r.context_json) as Record<string, unknown>,
    metadata: JSON.parse(r.metadata_json) as Record<string, unknown>,
    status: r.status,
    endReason: r.end_reason as SessionRecord["endReason"],
    createdAt: r.created_at,
    lastActivityAt: r.last_activity_at,
    endedAt: r.ended_at,
    turnCount: r.turn_count,
    archivedAt: r.archived_at,
    residency: r.residency ?? null,
    ...(r.agent_id && r.agent_version ? { agent: { agentId: r.agent_id, version: r.agent_version } } : {}),
    ...(r.llm_tokens_json ? { llmTokens: JSON.parse(r.llm_tokens_json) as SessionRecord["llmTokens"] & object } : {}),
    ...(r.analysis_json ? { analysis: JSON.parse(r.analysis_json) as CallAnalysis } : {}),
  };
}

function tokensJson(s: SessionRecord): string | null {
  return s.llmTokens ? JSON.stringify(s.llmTokens) : null;
}

export async function callExists(db: D1Database, tenantId: string, callId: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS x FROM calls WHERE tenant_id = ? AND call_id = ?")
    .bind(tenantId, callId)
    .first();
  return row !== null;
}

export async function readCall(db: D1Database, tenantId: string, callId: string): Promise<CallView | null> {
  const [call, turns] = await db.batch([
    db.prepare("SELECT * FROM calls WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
    db.prepare("SELECT * FROM turns WHERE tenant_id = ? AND call_id = ? ORDER BY seq").bind(tenantId, callId),
  ]);
  const row = (call?.results as CallRow[] | undefined)?.[0];
  if (!row) return null;
  // Calls archived since migration 0005 carry their history in the row; older ones in turns rows.
  if (row.history_json) return { ...toSession(row), history: JSON.parse(row.history_json) as HistoryEntry[] };
  const history = ((turns?.results ?? []) as TurnRow[]).flatMap((t): HistoryEntry[] => [
    {
      turnId: t.turn_id,
      role: t.role,
      text: t.text,
      at: t.at,
      ...(t.source ? { source: t.source as HistoryEntry["source"] & string } : {}),
      ...(t.intent ? { intent: JSON.parse(t.intent) as HistoryEntry["intent"] & object } : {}),
      ...(t.total_ms !== null
        ? { latencyMs: { stt: t.stt_ms ?? 0, nlp: t.nlp_ms ?? 0, tts: t.tts_ms ?? 0, total: t.total_ms } }
        : {}),
    },
    // The reply shares its turn's row (rows written before migration 0004 have none: it is a row of its own).
    ...(t.reply_text !== null && t.reply_text !== undefined
      ? [{ turnId: t.turn_id, role: "assistant" as const, text: t.reply_text, at: t.reply_at ?? t.at }]
      : []),
  ]);
  return { ...toSession(row), history };
}

export interface CallSummary {
  callId: string;
  userId: string | null;
  status: "active" | "ended";
  flow: string;
  language: string;
  createdAt: string;
  lastActivityAt: string;
  endedAt: string | null;
  turnCount: number;
}

export interface ListQuery {
  tenantId: string;
  status?: "active" | "ended" | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  /** Opaque cursor: the (createdAt, callId) of the last row of the previous page. */
  after?: { createdAt: string; callId: string } | undefined;
}

/** Newest first, keyset-paginated on (created_at, call_id) so pages never skip or repeat rows. */
export async function listCalls(db: D1Database, q: ListQuery): Promise<CallSummary[]> {
  const where = ["tenant_id = ?"];
  const args: unknown[] = [q.tenantId];
  if (q.status) {
    where.push("status = ?");
    args.push(q.status);
  }
  if (q.from) {
    where.push("created_at >= ?");
    args.push(q.from);
  }
  if (q.to) {
    where.push("created_at < ?");
    args.push(q.to);
  }
  if (q.after) {
    where.push("(created_at < ? OR (created_at = ? AND call_id < ?))");
    args.push(q.after.createdAt, q.after.createdAt, q.after.callId);
  }
  const { results } = await db
    .prepare(`SELECT * FROM calls WHERE ${where.join(" AND ")} ORDER BY created_at DESC, call_id DESC LIMIT ?`)
    .bind(...args, q.limit)
    .all<CallRow>();
  return results.map((r) => ({
    callId: r.call_id,
    userId: r.user_id,
    status: r.status,
    flow: r.flow,
    language: r.language,
    createdAt: r.created_at,
    lastActivityAt: r.last_activity_at,
    endedAt: r.ended_at,
    turnCount: r.turn_count,
  }));
}

export async function deleteCallRows(db: D1Database, tenantId: string, callId: string): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM turns WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
    db.prepare("DELETE FROM calls WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
  ]);
}
