// A fake language model for bench:agent (node:http, 127.0.0.1): OpenAI Chat Completions streaming
// (POST /v1/chat/completions with `stream: true`, https://platform.openai.com/docs/api-reference/chat-streaming),
// the chunk shape test/helpers/fake-chat-model.ts uses: a role chunk, `data: {choices:[{index:0,delta:{content}}]}`
// per token, a finish chunk, a usage chunk (`choices: []`, as with stream_options.include_usage), `data: [DONE]`.
//
// Its timing is fixed so that what the Worker adds can be told apart from what the model takes:
// - the first token is written `firstTokenMs` after the request's body has been read (default 300 ms,
//   a fast hosted model's time to first token);
// - then one token every 1000 / `tokensPerSecond` ms (default 50 tokens/s), each at its due time from
//   the first one, so a late timer does not push back every token after it;
// - a token is one word with the space before it (" balance"): English prose runs about 1.3 tokens a
//   word with the providers' tokenizers, so a word is the nearest whole unit and keeps sentence ends on
//   token boundaries;
// - the reply is always REPLY, three sentences, 42 tokens: the first sentence ends at token 12 (520 ms
//   after the request at the defaults), the last token comes at 1120 ms, so a pipeline that speaks
//   sentence by sentence has audio out long before the model is done. Its first sentence carries the
//   request's ref in place of {ref}, so the TTS request that speaks it can be matched too (fake-tts.mjs).
// Per request it records, on clock() (milliseconds since the epoch, to the microsecond, comparable across
// the threads of one process): when the body had been read, when the first token, the first sentence's
// last token and the last token were written, and the `ref` the bench put in the caller's text
// (REF_WORD), so each record can be matched to the turn that caused it.
import { createServer } from "node:http";

/**
 * performance.now() on a clock all threads share: each thread's now() counts from its own timeOrigin, so
 * timeOrigin + now() is what makes a fake's timestamps comparable with the client's in another thread.
 */
export const clock = () => performance.timeOrigin + performance.now();

export const REPLY = [
  "Sure, I can help you check the balance on account {ref} today.",
  "Your current balance is one thousand two hundred and forty dollars and fifteen cents, as of this morning.",
  "Is there anything else I can help you with before you go?",
];

/** REPLY as tokens (a word with its leading space), {ref} filled in, and how many tokens the first sentence has. */
export function replyTokens(sentences = REPLY, ref = "number") {
  const tokens = [];
  let firstSentenceTokens = 0;
  sentences.forEach((sentence, s) => {
    const words = sentence.replace("{ref}", ref).split(" ");
    words.forEach((word, w) => tokens.push(s === 0 && w === 0 ? word : ` ${word}`));
    if (s === 0) firstSentenceTokens = tokens.length;
  });
  return { tokens, firstSentenceTokens };
}

/**
 * A turn's ref, as the bench writes it into the caller's text and the fake model into its first sentence:
 * "zq" and at least four letters, which no English word is and no redaction rule (digits) touches.
 */
export const REF_WORD = /\b(zq[a-z]{4,})\b/;

const sleepUntil = (t) => new Promise((res) => setTimeout(res, Math.max(0, t - clock())));

const chunk = (delta, finish = null) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: "fake-model",
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

/** The text of a Chat Completions message's content (a string, or an array of text parts). */
function contentText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === "string" ? p.text : "")).join("");
  return "";
}

export async function startFakeModel({ firstTokenMs = 300, tokensPerSecond = 50, sentences = REPLY } = {}) {
  const { tokens: count, firstSentenceTokens } = replyTokens(sentences);
  const intervalMs = 1000 / tokensPerSecond;
  const records = [];
  let bad = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const arrivedAt = clock();
      if (req.method !== "POST" || new URL(req.url, "http://fake").pathname !== "/v1/chat/completions") {
        bad++;
        return void res.writeHead(404).end();
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = null;
      }
      if (!body || body.stream !== true || !Array.isArray(body.messages)) {
        bad++;
        res.writeHead(400, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ error: { message: "expected a streamed chat completion" } }));
      }
      const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
      const promptChars = body.messages.reduce((a, m) => a + contentText(m.content).length, 0);
      const ref = REF_WORD.exec(contentText(lastUser?.content))?.[1] ?? null;
      const { tokens } = replyTokens(sentences, ref ?? undefined);
      const record = {
        ref,
        arrivedAt,
        firstTokenAt: NaN,
        firstSentenceAt: NaN,
        lastTokenAt: NaN,
        messages: body.messages.length,
        tools: Array.isArray(body.tools) ? body.tools.length : 0,
        promptChars,
        finished: false,
        cancelled: false,
      };
      records.push(record);
      let gone = false;
      res.on("close", () => {
        if (!record.finished) {
          gone = true;
          record.cancelled = true;
        }
      });
      // Headers at once, as the hosted APIs do; the tokens follow on the model's own clock.
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.flushHeaders();
      const start = arrivedAt + firstTokenMs;
      for (let i = 0; i < tokens.length; i++) {
        await sleepUntil(start + i * intervalMs);
        if (gone) return;
        res.write((i === 0 ? chunk({ role: "assistant", content: "" }) : "") + chunk({ content: tokens[i] }));
        const at = clock();
        if (i === 0) record.firstTokenAt = at;
        if (i === firstSentenceTokens - 1) record.firstSentenceAt = at;
        if (i === tokens.length - 1) record.lastTokenAt = at;
      }
      const usage = {
        prompt_tokens: Math.ceil(promptChars / 4),
        completion_tokens: tokens.length,
        total_tokens: Math.ceil(promptChars / 4) + tokens.length,
      };
      res.write(chunk({}, "stop"));
      res.write(
        `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", choices: [], usage })}\n\n`,
      );
      record.finished = true;
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise((res) => server.listen(0, "127.0.0.1", res));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    firstTokenMs,
    tokensPerSecond,
    tokens: count.length,
    firstSentenceTokens,
    /** When the first sentence's last token is due, ms after the request: what the bench subtracts if unmeasured. */
    firstSentenceDueMs: firstTokenMs + (firstSentenceTokens - 1) * intervalMs,
    lastTokenDueMs: firstTokenMs + (count.length - 1) * intervalMs,
    /** Every request so far, in arrival order. */
    records: () => [...records],
    bad: () => bad,
    close: () => new Promise((res) => (server.closeAllConnections?.(), server.close(() => res()))),
  };
}
