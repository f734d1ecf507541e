import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { errors } from "../../../lib/errors";
import { listAgents, readAgent } from "../../../storage/agent-store";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/auth";
import { scoped } from "../scoped";
import { problemResponses } from "../schemas";
import { AgentIdParam, AgentSummary, AgentView, ListAgentsQuery } from "./schemas";

/** Who may read agents: a key that reads calls (calls name their agent) or one that writes agents. */
const READ_SCOPES = ["calls:read", "agents:write"] as const;

/** GET /agents and GET /agents/{agentId}: the tenant's agents, never their secrets. */
export function readRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "List this tenant's agents, by id",
      ...scoped(READ_SCOPES),
      request: { query: ListAgentsQuery },
      responses: {
        200: {
          description: "A page of agents",
          content: {
            "application/json": {
              schema: z.object({ agents: z.array(AgentSummary), nextCursor: z.string().optional() }),
            },
          },
        },
        ...problemResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const tenantId = tenantOf(c.var.principal);
      const { limit, cursor } = c.req.valid("query");
      const agents = await listAgents(c.env.DB, tenantId, { limit: limit + 1, after: cursor });
      const page = agents.slice(0, limit);
      const last = page[page.length - 1];
      return c.json({ agents: page, ...(agents.length > limit && last ? { nextCursor: last.agentId } : {}) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/{agentId}",
      tags,
      summary: "Read an agent's current version (never its secret)",
      ...scoped(READ_SCOPES),
      request: { params: AgentIdParam },
      responses: {
        200: { description: "The agent", content: { "application/json": { schema: AgentView } } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      const agent = await readAgent(c.env.DB, tenantOf(c.var.principal), agentId);
      if (!agent) throw errors.agentNotFound(agentId);
      return c.json(agent, 200);
    },
  );
}
