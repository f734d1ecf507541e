import { api } from "./api";

/** A valid webhook tool of an agent definition, with fields replaced or added by `extra`. */
export const webhookTool = (extra: Record<string, unknown> = {}) => ({
  type: "webhook",
  name: "lookup_order",
  description: "Looks up an order by its id",
  parameters: { type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"] },
  url: "https://tools.example.com/orders",
  ...extra,
});

/** PUT /api/v1/agents/{agentId} with `definition` as its JSON body. */
export function putAgent(key: string, agentId: string, definition: unknown): Promise<Response> {
  return api(`/api/v1/agents/${agentId}`, { method: "PUT", key, json: definition });
}
