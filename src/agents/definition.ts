import { z } from "zod";
import { AGENT_LLM_PROVIDERS, type AgentDefinition, type AgentTool } from "../call/agent";
import { InputError } from "../lib/errors";
import { FlowError, parseFlow } from "../nlp/flow-schema";
import { objectSchemaProblem } from "./json-schema-shape";
import { toolUrlProblem } from "./tool-url";

/**
 * An agent definition as a tenant sends it (PUT /api/v1/agents/{agentId}), validated field by
 * field: every object is strict (a typo such as "temprature" is refused, not ignored), and a
 * refusal names the field (`tools[1].url: must use https`), code `invalid_agent`.
 *
 * AgentDefinitionSchema checks everything that does not depend on the deployment; a tool URL's
 * address rule does (ALLOW_PRIVATE_TOOL_URLS), so toolUrlIssues checks it against the settings.
 * parseAgentDefinition does both.
 */

export const MAX_INSTRUCTIONS_CHARS = 20_000;
export const MAX_TOOLS = 32;
export const MAX_TOOL_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_TOOL_CALLS_PER_TURN = 4;

/** A webhook tool's name, as the model calls it (the providers' own rule for function names). */
const ToolName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'");
/** E.164: a plus, a country code not starting with 0, at most 15 digits in all. */
const E164 = z.string().regex(/^\+[1-9]\d{1,14}$/, "must be an E.164 number such as +14155550123");
const Language = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, "must be a BCP-47 tag such as en-US");
const Line = (max: number) =>
  z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/** Any http(s) URL here; whether its address is allowed depends on the deployment (toolUrlIssues). */
const ToolUrl = z
  .string()
  .max(2048)
  .superRefine((url, ctx) => {
    const problem = toolUrlProblem(url, true);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** A JSON Schema of an object (a tool's arguments, the data an analysis extracts). */
const ObjectSchema = z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
  const problem = objectSchemaProblem(schema);
  if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
});

const WebhookTool = z.strictObject({
  type: z.literal("webhook"),
  name: ToolName,
  description: Line(1024),
  parameters: ObjectSchema.meta({ description: "JSON Schema of the arguments object" }),
  url: ToolUrl,
  timeoutMs: z.int().min(1).max(MAX_TOOL_TIMEOUT_MS).optional(),
});
const EndCallTool = z.strictObject({ type: z.literal("end_call"), description: Line(1024).optional() });
const TransferTool = z.strictObject({
  type: z.literal("transfer"),
  number: E164.optional(),
  description: Line(1024).optional(),
});
const McpTool = z.strictObject({
  type: z.literal("mcp"),
  url: ToolUrl,
  allowedTools: z.array(ToolName).max(128).optional(),
});

const Tool = z.discriminatedUnion("type", [WebhookTool, EndCallTool, TransferTool, McpTool], {
  error: (issue) => (issue.code === "invalid_union" ? "must be one of webhook, end_call, transfer, mcp" : undefined),
});

/** The name a tool is called by (webhooks: theirs; built-ins: their type); MCP tools are named by their server. */
function toolName(tool: AgentTool): string | undefined {
  if (tool.type === "webhook") return tool.name;
  if (tool.type === "end_call" || tool.type === "transfer") return tool.type;
  return undefined;
}

export const AgentDefinitionSchema = z
  .strictObject({
    name: Line(100).optional(),
    instructions: Line(MAX_INSTRUCTIONS_CHARS)
      .optional()
      .meta({ description: `The model's instructions (≤ ${MAX_INSTRUCTIONS_CHARS} characters); required unless flow` }),
    flow: z
      .unknown()
      .optional()
      .meta({ description: "A flow in the built-in engine's format (docs/flows.md), instead of a model" }),
    greeting: Line(2000).optional(),
    fallback: Line(2000).optional().meta({ description: "Spoken when no model answers" }),
    llm: z
      .strictObject({
        provider: z.enum(AGENT_LLM_PROVIDERS).optional(),
        model: Line(200).optional(),
        temperature: z.number().min(0).max(2).optional(),
        maxOutputTokens: z.int().min(1).max(8192).optional(),
      })
      .optional(),
    tools: z.array(Tool).max(MAX_TOOLS, `must hold at most ${MAX_TOOLS} tools`).default([]),
    voice: z.strictObject({ provider: Line(64).optional(), voice: Line(200).optional() }).optional(),
    language: Language.optional(),
    maxToolCallsPerTurn: z.int().min(1).max(16).default(DEFAULT_MAX_TOOL_CALLS_PER_TURN),
    analysis: z
      .strictObject({
        summary: z.boolean().optional(),
        schema: ObjectSchema.optional(),
        successCriteria: Line(2000).optional(),
      })
      .optional(),
  })
  .superRefine((def, ctx) => {
    if (def.flow === undefined && def.instructions === undefined)
      ctx.addIssue({ code: "custom", path: ["instructions"], message: "is required unless flow is given" });
    if (def.flow !== undefined) {
      try {
        parseFlow(def.flow);
      } catch (err) {
        if (!(err instanceof FlowError)) throw err;
        for (const issue of err.issues) ctx.addIssue({ code: "custom", path: ["flow"], message: issue });
      }
    }
    const seen = new Map<string, number>();
    def.tools.forEach((tool, i) => {
      const name = toolName(tool);
      if (name === undefined) return;
      const first = seen.get(name);
      if (first === undefined) seen.set(name, i);
      else
        ctx.addIssue({
          code: "custom",
          path: ["tools", i, tool.type === "webhook" ? "name" : "type"],
          message: `'${name}' is already the name of tools[${first}]`,
        });
    });
  });

/** "tools[1].url" from zod's ["tools", 1, "url"]. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** One line per problem, each naming its field. */
export function agentIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => `${fieldPath([...issue.path, key])}: is not a field of an agent definition`);
    const field = fieldPath(issue.path);
    return [`${field || "(definition)"}: ${issue.message}`];
  });
}

/** The 400 for an invalid definition: the first few problems, each naming its field. */
export function invalidAgent(issues: readonly string[]): InputError {
  const shown = issues.slice(0, 5).join("; ");
  return new InputError(400, "invalid_agent", `The agent definition is invalid: ${shown}.`);
}

/** Tool URLs this deployment may not call (https only, no private addresses unless allowed). */
export function toolUrlIssues(def: Pick<AgentDefinition, "tools">, allowPrivateUrls: boolean): string[] {
  return def.tools.flatMap((tool, i) => {
    if (tool.type !== "webhook" && tool.type !== "mcp") return [];
    const problem = toolUrlProblem(tool.url, allowPrivateUrls);
    return problem ? [`tools[${i}].url: ${problem}`] : [];
  });
}

/** A valid definition from a tenant's JSON, or the 400 `invalid_agent` naming each bad field. */
export function parseAgentDefinition(raw: unknown, options: { allowPrivateUrls: boolean }): AgentDefinition {
  const parsed = AgentDefinitionSchema.safeParse(raw);
  if (!parsed.success) throw invalidAgent(agentIssues(parsed.error.issues));
  return checkedDefinition(parsed.data, options);
}

/** A definition that passed AgentDefinitionSchema, checked against the deployment's URL rule. */
export function checkedDefinition(def: AgentDefinition, options: { allowPrivateUrls: boolean }): AgentDefinition {
  const issues = toolUrlIssues(def, options.allowPrivateUrls);
  if (issues.length) throw invalidAgent(issues);
  return def;
}
