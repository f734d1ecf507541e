/**
 * The global series of agents' turns, kept in the metrics shards like the others (metrics-global.ts):
 * a model's time to first token and tokens by provider, and tool calls by outcome. Tool names are
 * a tenant's own words, so they are not labels (a label per name would let one tenant grow the
 * series without bound); spans carry them (src/agents/tools/toolbox.ts).
 */
import type { AttemptRecord } from "../call/attempts";
import { seriesKey } from "./metrics";

export const LLM_FIRST_TOKEN = "voice_llm_first_token_ms";
export const LLM_TOKENS = "voice_llm_tokens_total";
export const LLM_ATTEMPTS = "voice_llm_requests_total";
export const TOOL_CALLS = "voice_agent_tool_calls_total";
export const TOOL_LATENCY = "voice_agent_tool_latency_ms";

export interface AgentTurnFigures {
  model?: { name: string; region: string } | undefined;
  firstTokenMs?: number | undefined;
  usage: { inputTokens: number; outputTokens: number };
  attempts: readonly AttemptRecord[];
  toolCalls: readonly { ok: boolean; latencyMs: number }[];
}

type Histogram = (name: string, labels: Record<string, string>, value: number) => Record<string, number>;

/** An agent's turn as shard deltas; `histogram` is metrics-global's histogramDeltas. */
export function agentTurnDeltas(f: AgentTurnFigures, histogram: Histogram): Record<string, number> {
  const deltas: Record<string, number> = {};
  const add = (d: Record<string, number>) => {
    for (const [k, v] of Object.entries(d)) deltas[k] = (deltas[k] ?? 0) + v;
  };
  if (f.model) {
    const where = { provider: f.model.name, region: f.model.region };
    if (f.firstTokenMs !== undefined) add(histogram(LLM_FIRST_TOKEN, where, f.firstTokenMs));
    add({ [seriesKey(LLM_TOKENS, { ...where, direction: "input" })]: f.usage.inputTokens });
    add({ [seriesKey(LLM_TOKENS, { ...where, direction: "output" })]: f.usage.outputTokens });
  }
  for (const a of f.attempts) add({ [seriesKey(LLM_ATTEMPTS, { provider: a.provider, outcome: a.outcome })]: 1 });
  for (const t of f.toolCalls) {
    const outcome = t.ok ? "ok" : "error";
    add({ [seriesKey(TOOL_CALLS, { outcome })]: 1 });
    add(histogram(TOOL_LATENCY, { outcome }, t.latencyMs));
  }
  return deltas;
}

/** Help texts of the families, for the exposition (metrics-global.ts renderGlobal). */
export const AGENT_FAMILIES = {
  [LLM_FIRST_TOKEN]:
    "Time from an agent turn's model request to its first streamed event, retries and failover included, ms.",
  [LLM_TOKENS]:
    "Model tokens of agents' turns by provider, region and direction (input, output), as the provider counted them.",
  [LLM_ATTEMPTS]:
    "Model requests of agents' turns by provider and outcome (success, failed, timeout, skipped_open...).",
  [TOOL_CALLS]: "Tool calls made by agents' models, by outcome (ok, error: failed, timed out or refused arguments).",
  [TOOL_LATENCY]: "Duration of agents' tool calls, ms, by outcome.",
} as const;
