import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret } from "../../security/webhook-signature";
import type { ToolCallContext } from "../types";
import { callWebhookTool, webhookTimeoutMs, type WebhookTool } from "./webhook";

const secret = newWebhookSecret();
const tool: WebhookTool = {
  type: "webhook",
  name: "lookup_order",
  description: "Looks up an order",
  parameters: { type: "object", properties: { orderId: { type: "string" } } },
  url: "https://tools.example.com/orders",
};

function context(handler: (req: Request) => Promise<Response> | Response, allowPrivateUrls = false): ToolCallContext {
  return {
    tenantId: "t_1",
    callId: "c_1",
    agentId: "a_1",
    webhookSecret: secret,
    allowPrivateUrls,
    fetch: async (input, init) => handler(new Request(input, init)),
  };
}

const live = () => new AbortController().signal;

/** A body of `total` bytes in `chunk`-byte pieces, with no Content-Length; counts the pieces pulled. */
function streamed(total: number, chunk: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(new TextEncoder().encode(" ".repeat(n)));
    },
  });
  return { body, pulled: () => pulls };
}

describe("webhook tools", () => {
  it("POST the contract's body, signed with Standard Webhooks headers, and return the JSON answer", async () => {
    const seen: { body: unknown; id: string; contentType: string | null; redirect: string }[] = [];
    const ctx = context(async (req) => {
      const raw = await req.text();
      const headers = Object.fromEntries(req.headers);
      // Throws unless the signature, id and timestamp verify with the agent's secret.
      const body = new Webhook(secret).verify(raw, headers);
      seen.push({
        body,
        id: headers["webhook-id"] ?? "",
        contentType: req.headers.get("content-type"),
        redirect: req.redirect,
      });
      return Response.json({ status: "shipped" });
    });
    const first = await callWebhookTool(tool, "call_1", { orderId: "A7" }, ctx, live());
    expect(first).toMatchObject({ ok: true, result: { status: "shipped" } });
    expect(first.latencyMs).toBeGreaterThanOrEqual(0);
    await callWebhookTool(tool, "call_2", { orderId: "A8" }, ctx, live());

    expect(seen[0]?.body).toEqual({
      callId: "c_1",
      agentId: "a_1",
      toolCallId: "call_1",
      tool: "lookup_order",
      arguments: { orderId: "A7" },
    });
    expect(seen[0]?.contentType).toBe("application/json");
    expect(seen[0]?.redirect).toBe("manual");
    expect(seen[0]?.id).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(seen[1]?.id).not.toBe(seen[0]?.id);
  });

  it("turn an answer over 16 KiB into a tool error, without reading it all", async () => {
    const big = streamed(64 * 1024, 1024);
    const outcome = await callWebhookTool(
      tool,
      "c",
      {},
      context(() => new Response(big.body)),
      live(),
    );
    expect(outcome).toMatchObject({ ok: false, result: { error: "the tool's answer is larger than 16 KiB" } });
    expect(big.pulled()).toBeLessThan(30);
  });

  it("accept an answer of exactly 16 KiB", async () => {
    const json = JSON.stringify({ pad: "x".repeat(16 * 1024 - 10) });
    expect(json.length).toBe(16 * 1024);
    const outcome = await callWebhookTool(
      tool,
      "c",
      {},
      context(() => new Response(json)),
      live(),
    );
    expect(outcome.ok).toBe(true);
  });

  it("turn a non-JSON answer, an error status and a redirect into tool errors", async () => {
    const html = await callWebhookTool(
      tool,
      "c",
      {},
      context(() => new Response("<html>hi</html>")),
      live(),
    );
    expect(html).toMatchObject({ ok: false, result: { error: "the tool's answer is not JSON" } });

    const failing = context(() => Response.json({ stack: "at secret.js:1" }, { status: 500 }));
    const failed = await callWebhookTool(tool, "c", {}, failing, live());
    expect(failed).toMatchObject({ ok: false, result: { error: "the tool answered HTTP 500" } });
    expect(JSON.stringify(failed)).not.toContain("secret.js");

    const redirecting = context(() => new Response(null, { status: 302, headers: { location: "http://10.0.0.1/" } }));
    const redirected = await callWebhookTool(tool, "c", {}, redirecting, live());
    expect(redirected.ok).toBe(false);
    expect(redirected.result).toEqual({ error: expect.stringContaining("redirect (HTTP 302)") });
  });

  it("give up after the tool's timeout, even when fetch ignores its signal", async () => {
    const hanging = context(() => new Promise<Response>(() => {}));
    const started = Date.now();
    const outcome = await callWebhookTool({ ...tool, timeoutMs: 150 }, "c", {}, hanging, live());
    expect(outcome).toMatchObject({ ok: false, result: { error: "the tool did not answer within 150 ms" } });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(100);
  });

  it("stop when the turn is aborted", async () => {
    const turn = new AbortController();
    const pending = callWebhookTool(
      tool,
      "c",
      {},
      context(() => new Promise<Response>(() => {})),
      turn.signal,
    );
    turn.abort();
    expect(await pending).toMatchObject({ ok: false, result: { error: "the tool call was cancelled" } });
  });

  it("report a network failure without its details", async () => {
    const down = context(() => {
      throw new TypeError("connect ECONNREFUSED 203.0.113.9:443");
    });
    const outcome = await callWebhookTool(tool, "c", {}, down, live());
    expect(outcome).toMatchObject({ ok: false, result: { error: "the tool could not be reached" } });
  });

  it("refuse a private or plain-http URL at call time, without calling it", async () => {
    let called = 0;
    const ctx = context(() => {
      called++;
      return Response.json({});
    });
    for (const url of [
      "https://127.0.0.1/x",
      "https://10.1.2.3/x",
      "http://tools.example.com/x",
      "https://localhost/x",
    ]) {
      const outcome = await callWebhookTool({ ...tool, url }, "c", {}, ctx, live());
      expect(outcome.ok).toBe(false);
      expect(outcome.result).toEqual({ error: expect.stringContaining("URL is not allowed") });
    }
    expect(called).toBe(0);
    // ALLOW_PRIVATE_TOOL_URLS=true (local development) lets them through.
    const local = context(() => Response.json({ ok: 1 }), true);
    expect((await callWebhookTool({ ...tool, url: "http://127.0.0.1:8787/x" }, "c", {}, local, live())).ok).toBe(true);
  });

  it("clamp the timeout to 10 s and default it to 5 s", () => {
    expect(webhookTimeoutMs(tool)).toBe(5_000);
    expect(webhookTimeoutMs({ ...tool, timeoutMs: 60_000 })).toBe(10_000);
    expect(webhookTimeoutMs({ ...tool, timeoutMs: 250 })).toBe(250);
  });
});
