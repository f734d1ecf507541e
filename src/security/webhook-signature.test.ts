import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { isWebhookSecret, newWebhookSecret, webhookHeaders } from "./webhook-signature";

describe("webhook signatures", () => {
  it("verify with the Standard Webhooks reference library", async () => {
    const secret = newWebhookSecret();
    expect(isWebhookSecret(secret)).toBe(true);
    const body = JSON.stringify({ tool: "lookup", arguments: { id: 7 } });
    const now = Math.floor(Date.now() / 1000);
    const headers = await webhookHeaders(secret, "msg_1", now, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("fail verification when the body changed or another secret signed", async () => {
    const secret = newWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = await webhookHeaders(secret, "msg_2", now, "{}");
    expect(() => new Webhook(secret).verify('{"a":1}', headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify("{}", headers)).toThrow();
  });
});
