import type { EventType } from "../../call/events";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { subscribedEventTypes } from "../../storage/webhook-store";

/**
 * The event types a new call of the tenant records (its endpoints' subscriptions, cached briefly
 * per isolate), started early so the D1 read overlaps the rest of the call's creation. A failed
 * read costs that call its events, never the call: it is logged and the call starts without them.
 */
export function webhookEventsFor(db: D1Database, tenantId: string, requestId: string): Promise<EventType[]> {
  return subscribedEventTypes(db, tenantId).catch((err: unknown) => {
    log("webhook_subscriptions_unavailable", { requestId, tenantId, error: errorMessage(err) }, "error");
    return [];
  });
}
