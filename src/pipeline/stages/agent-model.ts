import type { OpenModelStream } from "../../agents/agent-loop";
import { toolboxFor } from "../../agents/tools/toolbox";
import type { PinnedAgent, Toolbox } from "../../agents/types";
import type { SessionRecord } from "../../call/records";
import { llmModelsFor } from "../../routing/llm-order";
import { openModelStream } from "../../routing/llm-stream";
import type { CallRuntime } from "../call-runtime";

/**
 * What an agent's turn needs from the call beyond its words: the models to ask, in the order the
 * routing layer gives (LLM_PROVIDERS, the agent's provider, the call's residency), and the agent's
 * tools, built once per call (MCP servers are listed once) and kept on the call's object.
 */

export function modelOpener(call: CallRuntime, session: SessionRecord, agent: PinnedAgent): OpenModelStream {
  return async (request, signal) => {
    const { env, config } = call;
    const models = llmModelsFor(env, config, {
      residency: session.residency ?? null,
      provider: agent.definition.llm?.provider,
    });
    const started = performance.now();
    const opened = await openModelStream(models, request, {
      firstTokenDeadlineMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
      streamTimeoutMs: config.LLM_STREAM_TIMEOUT_MS,
      signal,
      // Cleared after the turn, so a call between turns holds no timer (deadlines.ts).
      timeout: call.deadlines.timeout,
    });
    return {
      model: { name: opened.model.name, region: opened.model.region },
      events: opened.events,
      attempts: opened.attempts,
      firstEventMs: performance.now() - started,
    };
  };
}

/** The call's toolbox, built on first use and kept for the call (closed when the call ends). */
export function agentToolbox(call: CallRuntime, session: SessionRecord, agent: PinnedAgent): Promise<Toolbox> {
  const memo = call.memo;
  if (memo.toolbox?.version !== agent.version) {
    const built = toolboxFor(agent, {
      tenantId: session.tenantId,
      callId: session.callId,
      agentId: agent.agentId,
      webhookSecret: agent.webhookSecret,
      allowPrivateUrls: call.config.ALLOW_PRIVATE_TOOL_URLS,
    });
    memo.toolbox = { version: agent.version, toolbox: built };
    // A failed build is not kept: the next turn tries again.
    built.catch(() => {
      if (memo.toolbox?.toolbox === built) memo.toolbox = undefined;
    });
  }
  return memo.toolbox!.toolbox;
}

/** The call is over (or emptied): its MCP sessions are closed; nothing is kept for a next turn. */
export async function releaseAgentTools(call: CallRuntime): Promise<void> {
  const held = call.memo.toolbox;
  call.memo.toolbox = undefined;
  if (!held) return;
  try {
    await (await held.toolbox).close();
  } catch {
    // A toolbox that failed to build has nothing open; a close that fails leaves nothing to retry.
  }
}
