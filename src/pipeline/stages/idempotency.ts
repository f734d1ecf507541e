import type { SessionRecord } from "../../call/records";
import { ApiError } from "../../lib/errors";
import { hmacSha256Hex } from "../../security/crypto";
import type { CallRuntime } from "../call-runtime";
import { keyUse } from "../lifecycle/key-use";
import type { TurnInput, TurnResult } from "../types";

/**
 * A retried turn (the same Idempotency-Key) answers what the first one did and adds no turn; a key
 * reused with another request is refused. Returns the request's keyed fingerprint, and the first
 * answer when this is a replay.
 */
export async function idempotentReplay(
  call: CallRuntime,
  session: SessionRecord,
  input: TurnInput,
): Promise<{ fingerprint: string; replay?: TurnResult }> {
  if (!input.idempotencyKey) return { fingerprint: "" };
  // Stored and compared as a keyed hash (see IdempotencyRows.fingerprintKey), never the route's plain one.
  const fingerprint = await hmacSha256Hex(call.store.idempotency.fingerprintKey(), input.fingerprint);
  const seen = call.store.idempotency.get(input.idempotencyKey);
  if (!seen) return { fingerprint };
  if (seen.fingerprint !== fingerprint) {
    throw new ApiError(
      422,
      "idempotency_key_reused",
      "This Idempotency-Key was already used with a different request; use a new key for a new turn.",
    );
  }
  // A replay is a use of the key like any other (the route leaves its audit record to the call).
  const replayUse = keyUse(input, "call.turn", new Date().toISOString());
  if (replayUse.use) call.store.putSession(session, replayUse);
  return { fingerprint, replay: JSON.parse(seen.json) as TurnResult };
}
