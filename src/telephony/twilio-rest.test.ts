import { describe, expect, it } from "vitest";
import { dialTwiml, redirectTwilioCall } from "./twilio-rest";

const accountSid = "AC" + "0123456789abcdef".repeat(2);
const callSid = "CA" + "fedcba9876543210".repeat(2);
const authToken = "twilio-token-0123";

function recorder(answer: () => Response) {
  const seen: Request[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    seen.push(new Request(input, init));
    return answer();
  };
  return { seen, fetch: fetchImpl };
}

describe("Twilio call update", () => {
  it("POST the TwiML form-encoded to the Call resource with Basic auth", async () => {
    const twilio = recorder(() => Response.json({ sid: callSid, status: "in-progress" }));
    await redirectTwilioCall({ accountSid, callSid, authToken, twiml: dialTwiml("+14155550100"), fetch: twilio.fetch });

    const req = twilio.seen[0];
    expect(req?.method).toBe("POST");
    expect(req?.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Calls/${callSid}.json`);
    expect(req?.headers.get("authorization")).toBe(`Basic ${btoa(`${accountSid}:${authToken}`)}`);
    expect(req?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(new TextDecoder().decode(await req?.arrayBuffer()));
    expect([...form.keys()]).toEqual(["Twiml"]);
    expect(form.get("Twiml")).toBe("<Response><Dial>+14155550100</Dial></Response>");
  });

  it("escape the number for XML", () => {
    expect(dialTwiml("+1<Hangup/>&")).toBe("<Response><Dial>+1&lt;Hangup/&gt;&amp;</Dial></Response>");
    expect(() => dialTwiml("+1\u0000")).toThrow(TypeError);
  });

  it("throw an Error naming the status and Twilio's code, never the token", async () => {
    const twilio = recorder(() =>
      Response.json(
        { code: 21220, message: "Call is not in-progress. Cannot redirect.", status: 400 },
        { status: 400 },
      ),
    );
    const failure = redirectTwilioCall({
      accountSid,
      callSid,
      authToken,
      twiml: dialTwiml("+1415"),
      fetch: twilio.fetch,
    });
    await expect(failure).rejects.toThrow("Twilio call update failed: HTTP 400 (Twilio error 21220: Call is not");
    await failure.catch((err: Error) => expect(err.message).not.toContain(authToken));

    const plain = recorder(() => new Response("Service Unavailable", { status: 503 }));
    await expect(
      redirectTwilioCall({ accountSid, callSid, authToken, twiml: "<Response/>", fetch: plain.fetch }),
    ).rejects.toThrow(/^Twilio call update failed: HTTP 503$/);

    const down: typeof fetch = async () => {
      throw new TypeError("network connection lost");
    };
    await expect(
      redirectTwilioCall({ accountSid, callSid, authToken, twiml: "<Response/>", fetch: down }),
    ).rejects.toThrow("Twilio call update failed: network error");
  });

  it("refuse ids that are not Twilio's before sending anything", async () => {
    const twilio = recorder(() => Response.json({}));
    const send = (a: string, c: string) =>
      redirectTwilioCall({ accountSid: a, callSid: c, authToken, twiml: "<Response/>", fetch: twilio.fetch });
    await expect(send("AC123/../../x", callSid)).rejects.toThrow(TypeError);
    await expect(send(accountSid, "CA00")).rejects.toThrow(TypeError);
    expect(twilio.seen).toHaveLength(0);
  });
});
