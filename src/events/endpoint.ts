import { z } from "zod";
import { EVENT_TYPES, type EventType } from "../call/events";
import { InputError } from "../lib/errors";
import { toolUrlProblem } from "../agents/tool-url";

/**
 * A webhook endpoint as a tenant sends it (PUT /api/v1/webhooks/{endpointId}): where its events
 * go and which ones. Strict like an agent definition: an unknown field is refused, and every
 * refusal names its field (`url: must use https`, `events[1]: ...`), code `invalid_webhook`. The
 * URL follows the rule of agents' tools (src/agents/tool-url.ts), checked against the deployment's
 * ALLOW_PRIVATE_TOOL_URLS by checkedEndpoint, and again before every delivery.
 */

export const MAX_ENDPOINT_URL_CHARS = 2048;

/** An endpoint's id: as an agent's or a call's. */
export const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface EndpointDefinition {
  url: string;
  events: EventType[];
  enabled: boolean;
}

const EventTypeName = z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(", ")}` });

export const EndpointDefinitionSchema = z.strictObject({
  url: z
    .string()
    .max(MAX_ENDPOINT_URL_CHARS, `must be at most ${MAX_ENDPOINT_URL_CHARS} characters`)
    .superRefine((url, ctx) => {
      // The rule that does not depend on the deployment (absolute, http(s), no credentials).
      const problem = toolUrlProblem(url, true);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta({ description: "https to a public host (http and private addresses only with ALLOW_PRIVATE_TOOL_URLS)" }),
  events: z
    .array(EventTypeName)
    .min(1, "must name at least one event type")
    .max(EVENT_TYPES.length, `must name at most ${EVENT_TYPES.length} event types`)
    .superRefine((events, ctx) => {
      events.forEach((e, i) => {
        if (events.indexOf(e) !== i) ctx.addIssue({ code: "custom", path: [i], message: "repeats an event type" });
      });
    }),
  enabled: z.boolean().optional().meta({ description: "false pauses deliveries; default true" }),
});

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, p) => (typeof p === "number" ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)),
    "",
  );
}

/** Each zod issue of a body as `field: problem`. */
export function endpointIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => `${fieldPath([...issue.path, key])}: is not a field of a webhook endpoint`);
    return [`${fieldPath(issue.path) || "(body)"}: ${issue.message}`];
  });
}

/** The 400 for an invalid endpoint: the first few problems, each naming its field. */
export function invalidEndpoint(issues: readonly string[]): InputError {
  return new InputError(400, "invalid_webhook", `The webhook endpoint is invalid: ${issues.slice(0, 5).join("; ")}.`);
}

/** A body that passed EndpointDefinitionSchema, checked against the deployment's URL rule, with defaults. */
export function checkedEndpoint(
  body: z.infer<typeof EndpointDefinitionSchema>,
  options: { allowPrivateUrls: boolean },
): EndpointDefinition {
  const problem = toolUrlProblem(body.url, options.allowPrivateUrls);
  if (problem) throw invalidEndpoint([`url: ${problem}`]);
  // Stored in the order of EVENT_TYPES, so GET answers the same whatever order the PUT used.
  const events = EVENT_TYPES.filter((t) => body.events.includes(t));
  return { url: body.url, events, enabled: body.enabled ?? true };
}
