import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { api, tenant, uid } from "../helpers/api";
import { FAKE_MODEL_BASE, FAKE_MODEL_SETTINGS, fakeChatModel } from "../helpers/fake-chat-model";
import { setCallBindings } from "../helpers/objects";
import { callView } from "../stream/stream-client";
import { CALL_FORM, connectStream, parseTwiml, settings, voiceWebhook } from "../telephony/twilio-client";

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const NUMBER = "+15550001111";

describe("a phone call answered by an agent (TWILIO_AGENT_ID)", { timeout: 30_000 }, () => {
  it("greets with the agent's line, and its transfer dials the number through Twilio's REST API", async () => {
    const { tenantId, key } = await tenant();
    const agentId = uid("agent");
    const put = await api(`/api/v1/agents/${agentId}`, {
      method: "PUT",
      key,
      json: {
        instructions: "Transfer every caller.",
        greeting: "Hello from the agent.",
        tools: [{ type: "transfer", number: NUMBER }],
      },
    });
    expect(put.status).toBe(201);
    const model = fakeChatModel([[{ text: "Transferring you now." }, { tool: "transfer", arguments: {} }]]);
    const twilioRest: { url: string; auth: string | null; body: string }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith(FAKE_MODEL_BASE)) return model.handle(request);
      if (request.url.startsWith("https://api.twilio.com/")) {
        twilioRest.push({ url: request.url, auth: request.headers.get("Authorization"), body: await request.text() });
        return Response.json({ sid: CALL_FORM.CallSid, status: "in-progress" });
      }
      return new Response("not here", { status: 599 });
    });
    const vars = settings(tenantId, { ...FAKE_MODEL_SETTINGS, TWILIO_AGENT_ID: agentId });
    const callId = `twilio_${CALL_FORM.CallSid}`;
    await setCallBindings(tenantId, callId, vars);
    const res = await voiceWebhook(vars);
    const twiml = parseTwiml(await res.text());
    expect(twiml).toMatchObject({ callId, say: null });
    // The agent's greeting is the call's, spoken over the stream once it starts.
    const view = await callView(tenantId, callId);
    expect(view?.history[0]).toMatchObject({ role: "assistant", text: "Hello from the agent." });

    const s = await connectStream(vars, callId);
    if (s instanceof Response) throw new Error(`stream refused: ${s.status}`);
    s.connected();
    s.start(callId);
    s.dtmf("0");
    s.dtmf("#");
    const deadline = Date.now() + 10_000;
    while (twilioRest.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(twilioRest).toHaveLength(1);
    const redirect = twilioRest[0]!;
    expect(redirect.url).toBe(
      `https://api.twilio.com/2010-04-01/Accounts/${CALL_FORM.AccountSid}/Calls/${CALL_FORM.CallSid}.json`,
    );
    expect(redirect.auth).toBe(`Basic ${btoa(`${CALL_FORM.AccountSid}:${vars.TWILIO_AUTH_TOKEN}`)}`);
    expect(new URLSearchParams(redirect.body).get("Twiml")).toBe(`<Response><Dial>${NUMBER}</Dial></Response>`);
  });

  it("falls back to the default flow when the agent does not exist", async () => {
    const { tenantId } = await tenant();
    const vars = settings(tenantId, { ...FAKE_MODEL_SETTINGS, TWILIO_AGENT_ID: "missing-agent" });
    const res = await voiceWebhook(vars, { form: { ...CALL_FORM, CallSid: "CA00000000000000000000000000000042" } });
    expect(res.status).toBe(200);
    const { callId } = parseTwiml(await res.text());
    expect((await callView(tenantId, callId))?.history[0]?.text).toMatch(/Thanks for calling/);
  });
});
