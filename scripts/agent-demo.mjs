#!/usr/bin/env node
// `npm run demo:agent`: what an agent call needs locally without an account anywhere, as two small
// servers beside `npm run dev`:
//   - a demo language model on http://127.0.0.1:8790, speaking OpenAI Chat Completions streaming
//     (SSE), scripted rather than intelligent: offered a webhook tool, it calls it with arguments
//     taken from what the caller said; given the tool's answer, it reads it back; told goodbye
//     with an end_call tool available, it hangs up. It writes a word every 40 ms, as a model would.
//   - a demo webhook tool on http://127.0.0.1:8791/order-status that answers an order's status and
//     checks the Standard Webhooks signature when DEMO_WEBHOOK_SECRET is the agent's webhookSecret.
// Point voice-edge at the model with LLM_PROVIDERS=openai and OPENAI_LLM_BASE_URL=http://127.0.0.1:8790
// in .dev.vars (ALLOW_PRIVATE_TOOL_URLS=true lets an agent's tool be on localhost). docs/agents.md
// walks through it. A real model is the same settings with another base URL (Ollama, llama.cpp...).
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const MODEL_PORT = Number(process.env.DEMO_MODEL_PORT ?? 8790);
const TOOL_PORT = Number(process.env.DEMO_TOOL_PORT ?? 8791);
const WORD_MS = 40;

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });

/** What the demo model does with a conversation: text to say, and a tool call to make, if any. */
function decide(messages, tools) {
  const analysed = analysis(messages);
  if (analysed) return { text: analysed };
  const last = messages.at(-1) ?? {};
  const userText = String([...messages].reverse().find((m) => m.role === "user")?.content ?? "");
  const names = tools.map((t) => t.function?.name);
  if (last.role === "tool") return { text: `I checked for you. ${readBack(last.content)} Anything else?` };
  if (/\b(bye|goodbye|that's all)\b/i.test(userText) && names.includes("end_call"))
    return { text: "Thanks for calling, goodbye!", tool: { name: "end_call", arguments: {} } };
  const tool = tools.find((t) => !["end_call", "transfer"].includes(t.function?.name));
  if (tool)
    return { text: "Let me look that up.", tool: { name: tool.function.name, arguments: argsFor(tool, userText) } };
  return { text: `You said: ${userText}. I am the demo model; give me a webhook tool to call.` };
}

/**
 * voice-edge's post-call analysis prompt (src/agents/analysis.ts): one JSON object with the keys it
 * asks for: a summary quoting the caller's first line, data filled from the schema (each property's
 * first enum value, else a placeholder of its type), and success true. Scripted, like the rest.
 */
function analysis(messages) {
  const system = String(messages[0]?.content ?? "");
  if (!system.startsWith("You analyse a finished phone call")) return undefined;
  const said = /Caller: (.*)/.exec(String(messages[1]?.content ?? ""))?.[1] ?? "nothing";
  const out = {};
  if (system.includes('"summary"')) out.summary = `The caller said: ${said.slice(0, 120)}`;
  const schema = /"data": an object valid against this JSON Schema: (.*)/.exec(system)?.[1];
  if (schema) out.data = sample(JSON.parse(schema));
  if (system.includes('"success"')) out.success = true;
  return JSON.stringify(out);
}

function sample(schema) {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.type === "object")
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sample(v)]));
  if (schema.type === "array") return [];
  return { number: 0, integer: 0, boolean: false, null: null }[schema.type] ?? "demo";
}

/** Arguments for the tool's required properties: digits for ids and numbers, else the caller's words. */
function argsFor(tool, userText) {
  const schema = tool.function.parameters ?? {};
  const args = {};
  for (const name of schema.required ?? []) {
    const digits = /\d[\d-]*/.exec(userText)?.[0];
    args[name] = /id|number|code/i.test(name) && digits ? digits : userText;
  }
  return args;
}

function readBack(content) {
  try {
    const value = JSON.parse(content);
    if (value && typeof value === "object" && "error" in value) return `The lookup failed: ${value.error}.`;
    return `${Object.entries(value)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`;
  } catch {
    return String(content);
  }
}

const chunk = (delta, finish = null) => {
  const head = { id: "chatcmpl-demo", object: "chat.completion.chunk", model: "demo" };
  return `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
};

const model = createServer(async (req, res) => {
  if (req.method !== "POST" || !req.url.endsWith("/chat/completions")) {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.parse(await readBody(req));
  const plan = decide(body.messages ?? [], body.tools ?? []);
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
  res.write(chunk({ role: "assistant", content: "" }));
  for (const word of plan.text.split(/(?<= )/)) {
    await new Promise((r) => setTimeout(r, WORD_MS));
    res.write(chunk({ content: word }));
  }
  if (plan.tool) {
    const fn = { name: plan.tool.name, arguments: JSON.stringify(plan.tool.arguments) };
    res.write(chunk({ tool_calls: [{ index: 0, id: `call_${Date.now()}`, type: "function", function: fn }] }));
  }
  res.write(chunk({}, plan.tool ? "tool_calls" : "stop"));
  const words = JSON.stringify(body.messages ?? []).length / 4;
  const usage = { prompt_tokens: Math.round(words), completion_tokens: plan.text.split(" ").length };
  res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
  res.end("data: [DONE]\n\n");
  console.log(`model: ${plan.tool ? `called ${plan.tool.name}` : "answered"} (${body.messages?.length ?? 0} messages)`);
});

/** Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> keyed with the secret after whsec_. */
function verified(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
    .digest();
  return String(headers["webhook-signature"] ?? "")
    .split(" ")
    .some((sig) => {
      const given = Buffer.from(sig.replace(/^v1,/, ""), "base64");
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const tool = createServer(async (req, res) => {
  const body = await readBody(req);
  const secret = process.env.DEMO_WEBHOOK_SECRET;
  if (secret && !verified(secret, req.headers, body)) {
    console.log("tool: refused a request with a bad signature");
    res.writeHead(401, { "Content-Type": "application/json" }).end('{"error":"bad signature"}');
    return;
  }
  const call = JSON.parse(body || "{}");
  const orderId = String(call.arguments?.orderId ?? "unknown");
  console.log(`tool: ${call.tool} for call ${call.callId} (signature ${secret ? "verified" : "not checked"})`);
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ order: orderId, status: "shipped", arrives: "Tuesday" }));
});

model.listen(MODEL_PORT, "127.0.0.1", () => console.log(`demo model: http://127.0.0.1:${MODEL_PORT}`));
tool.listen(TOOL_PORT, "127.0.0.1", () =>
  console.log(`demo tool:  http://127.0.0.1:${TOOL_PORT}/order-status (Ctrl-C stops both)`),
);
