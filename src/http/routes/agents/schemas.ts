import { z } from "@hono/zod-openapi";
import { AgentDefinitionSchema } from "../../../agents/definition";
import { MAX_AGENT_JSON_BYTES } from "../../middleware/json-body-limit";
import { AgentId, queryInt } from "../schemas";

/** zod schemas of the agent routes (the OpenAPI document is generated from these). */

export const AgentIdParam = z.object({ agentId: AgentId.openapi({ param: { name: "agentId", in: "path" } }) });

export const AgentDefinition = AgentDefinitionSchema.openapi("AgentDefinition", {
  description:
    `An agent: instructions for a model with tools, or a flow for the built-in engine. At most ` +
    `${MAX_AGENT_JSON_BYTES / 1024} KiB of JSON. Unknown fields are refused (400 invalid_agent, naming the field).`,
});

const WebhookSecret = z.string().openapi({
  description: "`whsec_` + base64 of 32 random bytes: signs the agent's webhook tool calls. Shown only here.",
  example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0dFqzSyFoMM=",
});

export const AgentCreated = z
  .object({
    agentId: z.string(),
    version: z.number().int(),
    createdAt: z.string().openapi({ description: "When this version was created" }),
    webhookSecret: WebhookSecret,
  })
  .openapi("AgentCreated");

export const AgentVersionCreated = z
  .object({
    agentId: z.string(),
    version: z.number().int(),
    createdAt: z.string().openapi({ description: "When this version was created" }),
  })
  .openapi("AgentVersionCreated");

export const AgentView = z
  .object({
    agentId: z.string(),
    version: z.number().int().openapi({ description: "The current version: new calls pin it" }),
    createdAt: z.string().openapi({ description: "When the agent was created" }),
    updatedAt: z.string().openapi({ description: "When its current version was created" }),
    definition: AgentDefinition,
  })
  .openapi("Agent");

export const AgentSummary = z.object({
  agentId: z.string(),
  name: z.string().nullable(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ListAgentsQuery = z.object({
  limit: queryInt(1, 100).default(50),
  cursor: AgentId.optional().openapi({ description: "nextCursor of the previous page" }),
});

export const SecretRotated = z.object({ agentId: z.string(), webhookSecret: WebhookSecret }).openapi("AgentSecret");
