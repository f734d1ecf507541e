import { z } from "zod";
import { EVENT_TYPES, type EventMessage } from "../call/events";

/**
 * The EVENTS queue's messages (src/call/events.ts EventMessage), checked before the consumer acts
 * on one: a message it cannot read is logged and acknowledged, never retried into the dead-letter
 * queue (retrying would not make it readable).
 */

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);

const Event = z.object({
  id: Id,
  type: z.enum(EVENT_TYPES),
  createdAt: z.iso.datetime({ offset: true }),
  tenantId: Id,
  callId: Id,
  sequence: z.number().int().min(0),
  data: z.record(z.string(), z.unknown()),
});

const Message = z.discriminatedUnion("kind", [
  z.object({ v: z.literal(1), kind: z.literal("event"), event: Event }),
  z.object({ v: z.literal(1), kind: z.literal("delivery"), tenantId: Id, endpointId: Id, eventId: Id }),
]);

/** The message, or null when it is not one this consumer reads. */
export function parseEventMessage(body: unknown): EventMessage | null {
  const parsed = Message.safeParse(body);
  return parsed.success ? (parsed.data as EventMessage) : null;
}
