import type { Exec } from "./call-audio-rows";

/**
 * A call's idempotency records (a turn sent again with the same Idempotency-Key gets the stored
 * answer) and the random key its request fingerprints are hashed with, in the call's own SQLite
 * (tables in call-schema.ts).
 */
export class IdempotencyRows {
  constructor(private readonly run: Exec) {}

  get(key: string): { fingerprint: string; json: string } | null {
    return (
      this.run<{ fingerprint: string; json: string }>(
        "SELECT fingerprint, json FROM idempotency WHERE key = ?",
        key,
      )[0] ?? null
    );
  }

  /**
   * This call's random key for request fingerprints, made on first use. Fingerprints are keyed
   * hashes so the idempotency table never holds a plain hash of a request body (a card number
   * typed into a turn could be recovered from one by trying every Luhn-valid number).
   */
  fingerprintKey(): Uint8Array {
    const row = this.run<{ key: ArrayBuffer }>("SELECT key FROM fingerprint_key WHERE id = 1")[0];
    if (row) return new Uint8Array(row.key);
    const key = crypto.getRandomValues(new Uint8Array(32));
    this.run("INSERT INTO fingerprint_key (id, key) VALUES (1, ?)", key);
    return key;
  }

  put(key: string, fingerprint: string, json: string): void {
    this.run(
      "INSERT INTO idempotency (key, fingerprint, json, at) VALUES (?, ?, ?, ?)",
      key,
      fingerprint,
      json,
      new Date().toISOString(),
    );
  }
}
