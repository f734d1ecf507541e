/**
 * The analysis job: after an agent's call ends, if its agent asks for `analysis`, a model reads
 * the redacted transcript (agents/analysis.ts) and the result is stored with the call and sent as
 * call.analyzed. It runs from the alarm a second after the end (the end answers at once), before
 * the archive (outbox.ts holds the archive back until it is done), so the archived call carries
 * it. No model answering is retried with the outbox's backoff; after ANALYSIS_MAX_ATTEMPTS the
 * call is archived with the failure recorded instead.
 */
import { analyzeCall, asksForAnalysis } from "../../agents/analysis";
import type { CallAnalysis, SessionRecord } from "../../call/records";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { llmModelsFor } from "../../routing/llm-order";
import { openModelStream } from "../../routing/llm-stream";
import type { OutboxJob } from "../../storage/call-row";
import type { CallRuntime } from "../call-runtime";
import { transcriptOf, withEvent } from "../events";

export const JOB_ANALYSIS = "analysis";
/** Tries before the call is archived without its analysis (the outbox's backoff: about 15 minutes in all). */
export const ANALYSIS_MAX_ATTEMPTS = 6;
/** The analysis starts this long after the end, from the alarm, so the request that ended the call is not held. */
export const ANALYSIS_DELAY_MS = 1000;

/** Whether the ended call gets an analysis job: an agent call whose agent asks for one. */
export function needsAnalysis(call: CallRuntime): boolean {
  return asksForAnalysis(call.store.agent()?.definition.analysis);
}

export async function runAnalysisJob(call: CallRuntime, job: OutboxJob): Promise<void> {
  const session = call.store.getSession();
  const agent = call.store.agent();
  const spec = agent?.definition.analysis;
  if (!session || !agent || !asksForAnalysis(spec) || session.analysis) return;
  const transcript = transcriptOf(call.store.history());
  let analysis: CallAnalysis;
  try {
    analysis = await analyzeCall(spec, transcript, (request) => completeText(call, session, request), {
      model: agent.definition.llm?.model,
    });
  } catch (err) {
    // Thrown: no model answered. The outbox retries, until the last attempt records the failure.
    if (job.attempts + 1 < ANALYSIS_MAX_ATTEMPTS) throw err;
    analysis = {
      error: `no language model answered: ${errorMessage(err).slice(0, 200)}`,
      analyzedAt: new Date().toISOString(),
    };
  }
  const analyzed: SessionRecord = { ...session, analysis };
  const { summary, data, success } = analysis;
  const recorded =
    analysis.error && !summary && !data && success === undefined
      ? { session: analyzed, events: [] }
      : withEvent(analyzed, "call.analyzed", {
          ...(summary ? { summary } : {}),
          ...(data ? { data } : {}),
          ...(success !== undefined ? { success } : {}),
        });
  call.store.putSession(recorded.session, { events: recorded.events });
  call.flushEvents();
  log("call_analyzed", {
    tenantId: session.tenantId,
    callId: session.callId,
    ok: !analysis.error,
    ...(analysis.error ? { error: analysis.error } : {}),
  });
}

/** One answer of the agent's models (its provider, the call's residency), as text. */
async function completeText(call: CallRuntime, session: SessionRecord, request: Parameters<typeof openModelStream>[1]) {
  const { env, config } = call;
  const models = llmModelsFor(env, config, {
    residency: session.residency ?? null,
    provider: call.store.agent()?.definition.llm?.provider,
  });
  const opened = await openModelStream(models, request, {
    firstTokenDeadlineMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
    streamTimeoutMs: config.LLM_STREAM_TIMEOUT_MS,
  });
  let text = "";
  for await (const event of opened.events) if (event.type === "text") text += event.text;
  return text;
}
