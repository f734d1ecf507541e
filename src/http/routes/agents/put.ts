import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { agentIssues, checkedDefinition, invalidAgent } from "../../../agents/definition";
import { putAgentVersion } from "../../../storage/agent-store";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/auth";
import { scoped } from "../scoped";
import { problemResponses } from "../schemas";
import { validationHook } from "../validation";
import { AgentCreated, AgentDefinition, AgentIdParam, AgentVersionCreated } from "./schemas";

/** PUT /agents/{agentId}: create an agent (201, with its secret) or store its next version (200). */
export function putRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "put",
      path: "/{agentId}",
      tags,
      summary: "Create an agent, or store a new version of it",
      description:
        "Every PUT stores a new version (1, 2, ...); calls pin the version current when they start. " +
        "The webhook secret is returned only when the agent is created (also after a DELETE).",
      ...scoped("agents:write", { audit: { action: "agent.put" } }),
      request: {
        params: AgentIdParam,
        body: { content: { "application/json": { schema: AgentDefinition } }, required: true },
      },
      responses: {
        201: { description: "Agent created", content: { "application/json": { schema: AgentCreated } } },
        200: { description: "New version stored", content: { "application/json": { schema: AgentVersionCreated } } },
        ...problemResponses(400, 401, 403, 413, 415),
      },
    }),
    async (c) => {
      const tenantId = tenantOf(c.var.principal);
      const { agentId } = c.req.valid("param");
      const definition = checkedDefinition(c.req.valid("json"), {
        allowPrivateUrls: c.var.config.ALLOW_PRIVATE_TOOL_URLS,
      });
      const put = await putAgentVersion(c.env, tenantId, agentId, definition);
      c.header("Location", `/api/v1/agents/${agentId}`);
      const answer = { agentId, version: put.version, createdAt: put.createdAt };
      if (put.webhookSecret) return c.json({ ...answer, webhookSecret: put.webhookSecret }, 201);
      return c.json(answer, 200);
    },
    // A body that is not a valid definition is `invalid_agent`, each problem naming its field
    // (`tools[1].url: ...`); anything else (the path's agentId) is the usual `invalid_request`.
    (result, c) => {
      if (!result.success && result.target === "json") throw invalidAgent(agentIssues(result.error.issues));
      return validationHook(result, c);
    },
  );
}
