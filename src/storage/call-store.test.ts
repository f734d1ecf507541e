import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../security/crypto";
import { CallStore } from "./call-store";
import { SYNC_NOW_PENDING_USES, TAIL_TURNS } from "./call-row";
import type { StoredAudio } from "./call-row";
import type { HistoryEntry, SessionRecord } from "../call/records";

const freshObject = () => env.CALL.get(env.CALL.newUniqueId());

function session(turnCount: number): SessionRecord {
  return {
    tenantId: "t",
    callId: "c",
    userId: null,
    language: "en-US",
    flow: "f",
    state: "s",
    context: {},
    metadata: {},
    status: "active",
    endReason: null,
    createdAt: "t0",
    lastActivityAt: "t0",
    endedAt: null,
    turnCount,
    archivedAt: null,
    residency: null,
  };
}

function entry(n: number, role: HistoryEntry["role"]): HistoryEntry {
  return { turnId: `turn-${n}`, role, text: `${role} ${n}`, at: `t${n}` };
}

describe("CallStore (the hot tier)", () => {
  it("splits audio over 1 MiB into parts under the 2 MB row limit and joins them back", async () => {
    await runInDurableObject(freshObject(), async (_i, state) => {
      const store = new CallStore(state.storage);
      const bytes = new Uint8Array(2.5 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 10)) & 0xff;
      const before = store.rowsWritten;
      store.putAudio({
        turnId: "turn-1",
        kind: "caller",
        mediaType: "audio/wav",
        format: "wav",
        sampleRate: 16000,
        bytes,
      });
      const parts = state.storage.sql
        .exec<{ n: number; biggest: number }>("SELECT COUNT(*) AS n, MAX(LENGTH(bytes)) AS biggest FROM audio_parts")
        .one();
      expect(parts.n).toBe(3);
      // WITHOUT ROWID: a part is one row written (the rowid table wrote a row and a key-index row).
      expect(store.rowsWritten - before).toBe(3);
      expect(parts.biggest).toBeLessThanOrEqual(1024 * 1024);
      const [back] = store.audio() as StoredAudio[];
      // Compare digests: a deep equal over 2.5 M elements is needlessly slow.
      expect(back?.bytes.byteLength).toBe(bytes.byteLength);
      expect(await sha256Hex(back?.bytes ?? new Uint8Array())).toBe(await sha256Hex(bytes));
    });
  });

  it("reads audio stored in the older rowid table with the new parts, in conversation order", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage);
      state.storage.sql.exec(
        "INSERT INTO audio (turn_id, kind, part, media_type, format, sample_rate, " +
          "bytes) VALUES ('turn-1', 'caller', 0, 'audio/wav', 'wav', 8000, ?)",
        new Uint8Array([1, 2, 3]),
      );
      store.putAudio({
        turnId: "turn-2",
        kind: "caller",
        mediaType: "audio/wav",
        format: "wav",
        sampleRate: 16000,
        bytes: new Uint8Array([4, 5]),
      });
      store.putAudio({
        turnId: "turn-1",
        kind: "reply",
        mediaType: "audio/wav",
        format: "wav",
        sampleRate: 24000,
        bytes: new Uint8Array([6]),
      });
      const pieces = store.audio() as StoredAudio[];
      expect(pieces.map((p) => [p.turnId, p.kind, [...p.bytes]])).toEqual([
        ["turn-1", "caller", [1, 2, 3]],
        ["turn-1", "reply", [6]],
        ["turn-2", "caller", [4, 5]],
      ]);
      expect((store.audio("turn-1") as StoredAudio[]).map((p) => p.kind)).toEqual(["caller", "reply"]);
    });
  });

  it(
    "writes one row a turn, moves the tail to a history row " + "every TAIL_TURNS turns, and reads older layouts alike",
    async () => {
      await runInDurableObject(freshObject(), (_i, state) => {
        const sql = state.storage.sql;
        // An object written before the tail existed: a bare session row and one-entry history rows.
        sql.exec("CREATE TABLE IF NOT EXISTS session (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)");
        sql.exec("INSERT INTO session (id, json) VALUES (1, ?)", JSON.stringify(session(0)));
        // Its history table as it was then, AUTOINCREMENT (new objects' has a plain rowid:
        // test/durable/call-sync.test.ts).
        sql.exec("DROP TABLE IF EXISTS history"); // made by the object's own store when it started
        sql.exec(
          "CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, turn_id " +
            "TEXT NOT NULL, role TEXT NOT NULL, json TEXT NOT NULL)",
        );
        const store = new CallStore(state.storage);
        sql.exec(
          "INSERT INTO history (turn_id, role, json) VALUES ('turn-0', 'assistant', ?)",
          JSON.stringify(entry(0, "assistant")),
        );
        expect(store.getSession()?.turnCount).toBe(0);
        const before = store.rowsWritten;
        for (let n = 1; n <= TAIL_TURNS + 2; n++) {
          const rows = store.rowsWritten;
          store.appendTurn(session(n), [entry(n, "user"), entry(n, "assistant")], { metrics: { t_total: 1 } });
          // One row for the session row, plus the history row (and, in this older table, its AUTOINCREMENT sequence) on
          // the turn that moves the tail.
          expect(store.rowsWritten - rows).toBe(n === TAIL_TURNS ? 3 : 1);
        }
        expect(store.rowsWritten - before).toBe(TAIL_TURNS + 2 + 2);
        expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM history").one().n).toBe(2);
        expect(store.history().map((h) => `${h.turnId}:${h.role}`)).toEqual([
          "turn-0:assistant",
          ...Array.from({ length: TAIL_TURNS + 2 }, (_, i) => [`turn-${i + 1}:user`, `turn-${i + 1}:assistant`]).flat(),
        ]);
        expect(store.getSession()?.turnCount).toBe(TAIL_TURNS + 2);
        expect(store.pending().metrics).toEqual({ t_total: TAIL_TURNS + 2 });
      });
    },
  );

  it("clears exactly what a sync sent: figures added meanwhile stay pending", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage);
      const use = (requestId: string) => ({
        action: "call.turn",
        actor: "key1",
        at: "t",
        result: "ok" as const,
        requestId,
      });
      store.appendTurn(session(1), [entry(1, "user")], { metrics: { a: 1, b: 2.5 }, use: use("r1") });
      const sent = store.pending();
      store.appendTurn(session(2), [entry(2, "user")], { metrics: { a: 1 }, use: use("r2") });
      store.clearPending(sent);
      expect(store.pending()).toEqual({ metrics: { a: 1 }, uses: [use("r2")] });
    });
  });

  it("lists referenced reply audio (speech cache) among stored pieces in conversation order", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage);
      const ref = (n: number) => ({
        turnId: `turn-${n}`,
        kind: "reply" as const,
        mediaType: "audio/wav",
        format: "wav",
        sampleRate: 16000,
        cacheKey: `cache/tts/${n}`,
      });
      store.appendTurn(session(0), [entry(0, "assistant")], { refs: [ref(0)] });
      store.appendTurn(session(1), [entry(1, "user"), entry(1, "assistant")], { refs: [ref(1)] });
      store.putAudio({
        turnId: "turn-1",
        kind: "caller",
        mediaType: "audio/wav",
        format: "wav",
        sampleRate: 8000,
        bytes: new Uint8Array([1]),
      });
      store.putAudio({
        turnId: "turn-10",
        kind: "reply",
        mediaType: "audio/wav",
        format: "wav",
        sampleRate: 8000,
        bytes: new Uint8Array([2]),
      });
      expect(store.audio().map((a) => `${a.turnId}/${a.kind}/${"cacheKey" in a ? "ref" : "bytes"}`)).toEqual([
        "turn-0/reply/ref",
        "turn-1/caller/bytes",
        "turn-1/reply/ref",
        "turn-10/reply/bytes",
      ]);
      expect(store.audio("turn-1")).toHaveLength(2);
    });
  });

  it("keeps the earliest due time when a job is enqueued twice, in the table or the session row", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage);
      store.enqueue("archive", 500);
      store.enqueue("archive", 900);
      store.enqueue("archive", 100);
      expect(store.outbox()).toEqual([expect.objectContaining({ job: "archive", nextAt: 100, attempts: 0 })]);
      // The sync lives in the session row, queued by a turn's own write and completed by clearPending.
      store.appendTurn(session(1), [entry(1, "user")], { enqueueIfAbsent: { job: "index", nextAt: 50 } });
      const rows = store.rowsWritten;
      store.appendTurn(session(2), [entry(2, "user")], { enqueueIfAbsent: { job: "index", nextAt: 999 } });
      expect(store.rowsWritten - rows).toBe(1);
      expect(store.outbox().map((j) => `${j.job}@${j.nextAt}`)).toEqual(["index@50", "archive@100"]);
      store.clearPending(store.pending());
      expect(store.outbox().map((j) => j.job)).toEqual(["archive"]);
    });
  });

  it("sees a job queued in the outbox table after it found the table empty", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage);
      expect(store.outbox()).toEqual([]);
      store.enqueue("release", 10); // no session row yet: the job goes to the table
      expect(store.outbox().map((j) => j.job)).toEqual(["release"]);
      store.completeJobs(["release"]);
      expect(store.outbox()).toEqual([]);
      store.enqueueIfAbsent("release", 20);
      expect(store.outbox().map((j) => `${j.job}@${j.nextAt}`)).toEqual(["release@20"]);
    });
  });

  it("drops its copy of the session row with a transaction that throws (SQLite undid the write)", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage);
      store.putSession(session(1));
      expect(() =>
        store.transaction(() => {
          store.putSession(session(2));
          expect(store.getSession()?.turnCount).toBe(2);
          throw new Error("a later step failed");
        }),
      ).toThrow("a later step failed");
      expect(store.getSession()?.turnCount).toBe(1);
      // What a caller gets is its own: changing it changes nothing stored.
      const got = store.getSession() as SessionRecord;
      got.turnCount = 99;
      expect(store.getSession()?.turnCount).toBe(1);
      // A new store (the object restarted) reads the same row.
      expect(new CallStore(state.storage).getSession()?.turnCount).toBe(1);
    });
  });

  it(
    "makes the queued sync due at once when the row holds " +
      "SYNC_NOW_PENDING_USES audit uses, so the row stays small",
    async () => {
      await runInDurableObject(freshObject(), (_i, state) => {
        const store = new CallStore(state.storage);
        const later = Date.now() + 60_000;
        const turn = (n: number) =>
          store.appendTurn(session(n), [entry(n, "user")], {
            use: { action: "call.turn", actor: "k", at: "t", result: "ok" },
            enqueueIfAbsent: { job: "index", nextAt: later },
          });
        for (let n = 1; n < SYNC_NOW_PENDING_USES; n++) turn(n);
        expect(store.outbox().map((j) => j.nextAt)).toEqual([later]);
        turn(SYNC_NOW_PENDING_USES);
        expect(store.outbox()[0]?.nextAt).toBeLessThanOrEqual(Date.now());
        expect(store.pending().uses).toHaveLength(SYNC_NOW_PENDING_USES);
      });
    },
  );
});
