/**
 * Post-call analysis (docs/agents.md, "Analysis"): after an agent's call ends, a model reads the
 * redacted transcript and answers one JSON object with what the agent's `analysis` asks for: a
 * summary, data valid against its JSON Schema, and whether the call met its success criteria.
 * An answer that is not that object (or whose data breaks the schema) is sent back once with
 * what is wrong; after that, what was valid is kept and the rest reported as an error.
 */
import type { CallAnalysis } from "../call/records";
import type { TranscriptLine } from "../call/events";
import type { LlmMessage, LlmRequest } from "../providers/llm/types";
import type { AgentDefinition } from "./types";
import { argumentChecker } from "./tools/arguments";

export type AnalysisSpec = NonNullable<AgentDefinition["analysis"]>;

/** What asking a model costs the analysis: the text of its whole answer to `request`. */
export type CompleteText = (request: LlmRequest) => Promise<string>;

/** Whether `spec` asks for anything at all (an empty `analysis: {}` asks for nothing). */
export function asksForAnalysis(spec: AnalysisSpec | undefined): spec is AnalysisSpec {
  return Boolean(spec && (spec.summary || spec.schema || spec.successCriteria));
}

/** Runs the analysis with `complete`; throws only when no model answered (the caller retries later). */
export async function analyzeCall(
  spec: AnalysisSpec,
  transcript: readonly TranscriptLine[],
  complete: CompleteText,
  options: { model?: string | undefined; now?: () => Date } = {},
): Promise<CallAnalysis> {
  const request = analysisRequest(spec, transcript, options.model);
  const first = await complete(request);
  let read = readAnalysis(spec, first);
  if (!read.ok) {
    const again: LlmMessage[] = [
      ...request.messages,
      { role: "assistant", content: first },
      {
        role: "user",
        content: `That answer cannot be used: ${read.error}. Answer again with the JSON object only, as asked.`,
      },
    ];
    read = readAnalysis(spec, await complete({ ...request, messages: again }));
  }
  const analyzedAt = (options.now?.() ?? new Date()).toISOString();
  return read.ok ? { ...read.analysis, analyzedAt } : { ...read.partial, error: read.error, analyzedAt };
}

/** The request: instructions naming each key asked for, and the transcript as the one user message. */
export function analysisRequest(spec: AnalysisSpec, transcript: readonly TranscriptLine[], model?: string): LlmRequest {
  const keys: string[] = [];
  if (spec.summary) keys.push('"summary": a summary of the call in at most three sentences (a string)');
  if (spec.schema) keys.push(`"data": an object valid against this JSON Schema: ${JSON.stringify(spec.schema)}`);
  if (spec.successCriteria)
    keys.push(`"success": true if the call met these criteria, else false: ${spec.successCriteria}`);
  const system =
    "You analyse a finished phone call between a caller and a voice agent. Answer with one JSON " +
    `object and nothing else, with these keys:\n- ${keys.join("\n- ")}\n` +
    "Masked text such as [card ending 1111] stands for what was redacted: never guess it.";
  const lines = transcript.map((l) => `${l.role === "user" ? "Caller" : "Agent"}: ${l.text}`).join("\n");
  return {
    ...(model ? { model } : {}),
    messages: [
      { role: "system", content: system },
      { role: "user", content: `The call's transcript:\n${lines || "(nothing was said)"}` },
    ],
    tools: [],
    temperature: 0,
    maxOutputTokens: 1024,
  };
}

type Read =
  | { ok: true; analysis: Omit<CallAnalysis, "analyzedAt"> }
  | { ok: false; error: string; partial: Omit<CallAnalysis, "analyzedAt"> };

/** A model's answer checked against what `spec` asks for. */
export function readAnalysis(spec: AnalysisSpec, text: string): Read {
  const object = jsonObjectIn(text);
  if (!object) return { ok: false, error: "it is not one JSON object", partial: {} };
  const partial: Omit<CallAnalysis, "analyzedAt"> = {};
  const problems: string[] = [];
  if (spec.summary) {
    if (typeof object.summary === "string" && object.summary.trim()) partial.summary = object.summary.trim();
    else problems.push('"summary" must be a non-empty string');
  }
  if (spec.successCriteria) {
    if (typeof object.success === "boolean") partial.success = object.success;
    else problems.push('"success" must be true or false');
  }
  if (spec.schema) {
    const checked = argumentChecker(spec.schema)(JSON.stringify(object.data ?? null));
    if (checked.ok) partial.data = checked.args;
    else problems.push(`"data" ${checked.error.replace(/^invalid arguments: /, "is invalid: ")}`);
  }
  return problems.length ? { ok: false, error: problems.join("; "), partial } : { ok: true, analysis: partial };
}

/** The JSON object a model answered, allowing for a code fence or words around it; null if none. */
function jsonObjectIn(text: string): Record<string, unknown> | null {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  const candidate = (fenced ?? text).trim();
  const start = candidate.indexOf("{");
  const end = candidate.lastIndexOf("}");
  if (start < 0 || end <= start) return null;
  try {
    const value: unknown = JSON.parse(candidate.slice(start, end + 1));
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
