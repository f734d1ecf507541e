import { describe, expect, it } from "vitest";
import type { LlmRequest } from "../providers/llm/types";
import { analysisRequest, analyzeCall, asksForAnalysis, readAnalysis } from "./analysis";

const SCHEMA = {
  type: "object",
  properties: { reason: { type: "string", enum: ["balance", "card", "other"] }, callback: { type: "boolean" } },
  required: ["reason"],
  additionalProperties: false,
};
const SPEC = { summary: true, schema: SCHEMA, successCriteria: "The caller learned their balance." };
const TRANSCRIPT = [
  { turnId: "turn-0", role: "assistant" as const, text: "Hello, how can I help?", at: "2026-01-01T00:00:00Z" },
  { turnId: "turn-1", role: "user" as const, text: "what is my balance", at: "2026-01-01T00:00:02Z" },
];
const at = () => new Date("2026-01-01T00:01:00Z");

/** A model that answers each request with the next of `answers`, recording what it was asked. */
function scripted(answers: string[]) {
  const asked: LlmRequest[] = [];
  const complete = async (request: LlmRequest) => {
    asked.push(request);
    const answer = answers[asked.length - 1];
    if (answer === undefined) throw new Error("asked too often");
    return answer;
  };
  return { asked, complete };
}

describe("post-call analysis", () => {
  it("asks for each key the agent wants, with the transcript, and reads a valid answer", async () => {
    const model = scripted(['{"summary":"Balance asked.","data":{"reason":"balance"},"success":true}']);
    const out = await analyzeCall(SPEC, TRANSCRIPT, model.complete, { now: at, model: "m-1" });
    expect(out).toEqual({
      summary: "Balance asked.",
      data: { reason: "balance" },
      success: true,
      analyzedAt: "2026-01-01T00:01:00.000Z",
    });
    const [request] = model.asked;
    expect(request?.model).toBe("m-1");
    expect(request?.temperature).toBe(0);
    const system = String(request?.messages[0]?.content);
    expect(system).toContain('"summary"');
    expect(system).toContain(JSON.stringify(SCHEMA));
    expect(system).toContain("The caller learned their balance.");
    expect(String(request?.messages[1]?.content)).toContain("Caller: what is my balance");
  });

  it("sends an answer whose data breaks the schema back once, saying why, and keeps the corrected one", async () => {
    const model = scripted([
      '```json\n{"summary":"Asked.","data":{"reason":"weather"},"success":true}\n```',
      '{"summary":"Asked.","data":{"reason":"other"},"success":true}',
    ]);
    const out = await analyzeCall(SPEC, TRANSCRIPT, model.complete, { now: at });
    expect(out).toMatchObject({ data: { reason: "other" }, success: true });
    expect(out.error).toBeUndefined();
    expect(model.asked).toHaveLength(2);
    const retry = model.asked[1]!.messages;
    expect(retry.at(-2)).toMatchObject({ role: "assistant" });
    expect(String(retry.at(-1)?.content)).toMatch(/"data" is invalid/);
  });

  it("after a second bad answer keeps what was valid and says what was not", async () => {
    const model = scripted(["Sure! The call went fine.", '{"summary":"Asked.","data":{"reason":1},"success":"yes"}']);
    const out = await analyzeCall(SPEC, TRANSCRIPT, model.complete, { now: at });
    expect(out.summary).toBe("Asked.");
    expect(out.data).toBeUndefined();
    expect(out.success).toBeUndefined();
    expect(out.error).toMatch(/"success" must be true or false/);
    expect(out.error).toMatch(/"data" is invalid/);
  });

  it("throws when no model answers, so the job is retried", async () => {
    const failing = async () => {
      throw new Error("no model answered");
    };
    await expect(analyzeCall(SPEC, TRANSCRIPT, failing)).rejects.toThrow("no model answered");
  });

  it("reads only what was asked for", () => {
    expect(readAnalysis({ summary: true }, '{"summary":"Hi.","success":true}')).toEqual({
      ok: true,
      analysis: { summary: "Hi." },
    });
    expect(readAnalysis({ summary: true }, "[1,2]")).toMatchObject({ ok: false, error: "it is not one JSON object" });
    expect(asksForAnalysis({})).toBe(false);
    expect(asksForAnalysis(undefined)).toBe(false);
    expect(asksForAnalysis({ summary: true })).toBe(true);
    expect(analysisRequest({ summary: true }, []).messages[1]?.content).toContain("(nothing was said)");
  });
});
