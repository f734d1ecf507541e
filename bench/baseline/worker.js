/* global URL, Response */
// The bare baseline Worker of bench:turns: POST /api/v1/calls/{id}/turns {"text"} -> the call's
// Durable Object (RPC) -> one SQLite row written -> {"turnId", "text"} JSON. GET /healthz -> 200.
import { DurableObject } from "cloudflare:workers";

export class BaselineCall extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS turns (seq INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, at TEXT NOT NULL)",
    );
  }

  async turn(text) {
    const cursor = this.sql.exec(
      "INSERT INTO turns (text, at) VALUES (?, ?) RETURNING seq",
      text,
      new Date().toISOString(),
    );
    return { turnId: `turn-${cursor.one().seq}`, text };
  }
}

const TURN = /^\/api\/v1\/calls\/([A-Za-z0-9_-]{1,64})\/turns$/;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return Response.json({ ok: true });
    const m = TURN.exec(url.pathname);
    if (!m || request.method !== "POST") return Response.json({ error: "not_found" }, { status: 404 });
    const body = await request.json();
    const stub = env.CALL.get(env.CALL.idFromName(m[1]));
    return Response.json(await stub.turn(String(body.text ?? "")));
  },
};
