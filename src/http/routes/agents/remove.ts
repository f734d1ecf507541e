import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { errors } from "../../../lib/errors";
import { deleteAgent, rotateSecret } from "../../../storage/agent-store";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/auth";
import { scoped } from "../scoped";
import { problemResponses } from "../schemas";
import { AgentIdParam, SecretRotated } from "./schemas";

/** DELETE /agents/{agentId} and POST /agents/{agentId}/rotate-secret. */
export function removeRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "delete",
      path: "/{agentId}",
      tags,
      summary: "Delete an agent",
      description: "New calls naming it get 404 agent_not_found; calls already running keep their version.",
      ...scoped("agents:write", { audit: { action: "agent.delete" } }),
      request: { params: AgentIdParam },
      responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      if (!(await deleteAgent(c.env.DB, tenantOf(c.var.principal), agentId))) throw errors.agentNotFound(agentId);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/{agentId}/rotate-secret",
      tags,
      summary: "Replace an agent's webhook secret",
      description:
        "Returns the new secret, this once. New calls sign their webhook tool calls with it; calls " +
        "already running keep the secret they started with.",
      ...scoped("agents:write", { audit: { action: "agent.rotate_secret" } }),
      request: { params: AgentIdParam },
      responses: {
        200: { description: "The new secret", content: { "application/json": { schema: SecretRotated } } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      const webhookSecret = await rotateSecret(c.env, tenantOf(c.var.principal), agentId);
      if (!webhookSecret) throw errors.agentNotFound(agentId);
      return c.json({ agentId, webhookSecret }, 200);
    },
  );
}
