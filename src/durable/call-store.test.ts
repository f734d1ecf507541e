import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../security/crypto";
import { CallStore } from "./call-store";

const freshObject = () => env.CALL.get(env.CALL.newUniqueId());

describe("CallStore (the hot tier)", () => {
  it("splits audio over 1 MiB into parts under the 2 MB row limit and joins them back", async () => {
    await runInDurableObject(freshObject(), async (_i, state) => {
      const store = new CallStore(state.storage.sql);
      const bytes = new Uint8Array(2.5 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 10)) & 0xff;
      store.appendHistory({ turnId: "turn-1", role: "user", text: "x", at: "t" });
      store.putAudio({ turnId: "turn-1", kind: "caller", mediaType: "audio/wav", format: "wav", sampleRate: 16000, bytes });
      const parts = state.storage.sql.exec<{ n: number; biggest: number }>("SELECT COUNT(*) AS n, MAX(LENGTH(bytes)) AS biggest FROM audio").one();
      expect(parts.n).toBe(3);
      expect(parts.biggest).toBeLessThanOrEqual(1024 * 1024);
      const [back] = store.audio();
      // Compare digests: a deep equal over 2.5 M elements is needlessly slow.
      expect(back?.bytes.byteLength).toBe(bytes.byteLength);
      expect(await sha256Hex(back?.bytes ?? new Uint8Array())).toBe(await sha256Hex(bytes));
    });
  });

  it("stores a turn's entries as one row and reads older one-entry rows alike", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage.sql);
      store.appendHistory({ turnId: "turn-0", role: "assistant", text: "hello", at: "t0" });
      store.appendHistory({ turnId: "turn-1", role: "user", text: "hi", at: "t1" }, { turnId: "turn-1", role: "assistant", text: "how can I help", at: "t1" });
      expect(state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM history").one().n).toBe(2);
      expect(store.history().map((h) => `${h.turnId}:${h.role}:${h.text}`)).toEqual(["turn-0:assistant:hello", "turn-1:user:hi", "turn-1:assistant:how can I help"]);
    });
  });

  it("returns audio in conversation order, caller before reply", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage.sql);
      for (const t of ["turn-0", "turn-1", "turn-2"]) store.appendHistory({ turnId: t, role: "assistant", text: t, at: "t" });
      const piece = (turnId: string, kind: "caller" | "reply") => ({ turnId, kind, mediaType: "audio/wav", format: "wav", sampleRate: 8000, bytes: new Uint8Array([1]) });
      store.putAudio(piece("turn-2", "reply"));
      store.putAudio(piece("turn-0", "reply"));
      store.putAudio(piece("turn-2", "caller"));
      store.putAudio(piece("turn-1", "reply"));
      expect(store.audio().map((a) => `${a.turnId}/${a.kind}`)).toEqual(["turn-0/reply", "turn-1/reply", "turn-2/caller", "turn-2/reply"]);
      expect(store.audio("turn-2")).toHaveLength(2);
    });
  });

  it("keeps the earliest due time when a job is enqueued twice", async () => {
    await runInDurableObject(freshObject(), (_i, state) => {
      const store = new CallStore(state.storage.sql);
      store.enqueue("index", 500);
      store.enqueue("index", 900);
      store.enqueue("index", 100);
      expect(store.outbox()).toEqual([expect.objectContaining({ job: "index", nextAt: 100, attempts: 0 })]);
    });
  });
});
