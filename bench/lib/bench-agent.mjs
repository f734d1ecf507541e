// The agent the benches run against a fake model (bench/lib/fake-model.mjs), shared by bench:agent
// (text turns) and bench:stream --model (spoken turns on a live stream): the Worker's settings that
// point its language model at the fake (as `npm run demo:agent` and docs/agents.md do for a local
// model), and the agent definition, stored with PUT /api/v1/agents/{agentId}. A call runs it when
// created with POST /api/v1/calls {"agent": BENCH_AGENT_ID}; the key needs the scope agents:write.
export const BENCH_AGENT_ID = "bench-agent";

export const BENCH_AGENT_INSTRUCTIONS =
  "You are the phone assistant of Example Bank. Greet nobody twice, answer in one to three short sentences, " +
  "and offer more help at the end. Never read out a full account number.";

/** voiceEdgeVars() lines for a model speaking OpenAI Chat Completions at `modelUrl`. */
export const fakeModelVars = (modelUrl) => [
  "LLM_PROVIDERS=openai",
  `OPENAI_LLM_BASE_URL=${modelUrl}`,
  "OPENAI_LLM_MODEL=fake-model",
];

/** Stores (or replaces) the bench agent for the key's tenant. */
export async function putBenchAgent(api, key) {
  await api.must(`/api/v1/agents/${BENCH_AGENT_ID}`, {
    method: "PUT",
    token: key,
    json: { name: "bench agent", instructions: BENCH_AGENT_INSTRUCTIONS, tools: [{ type: "end_call" }] },
  });
}
