import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { isWebhookSecret } from "../../src/security/webhook-signature";
import { forgetSubscriptions, subscribedEventTypes } from "../../src/storage/webhook-store";
import { ADMIN_TOKEN, api, createKey, expectProblem, tenant, uid } from "../helpers/api";
import { apiWithSettings } from "../helpers/objects";
import { HOOK_URL, putWebhook, type Created } from "./helpers";

// Webhook endpoints per tenant (docs/api-v1.md "Events to your backend", docs/events.md): PUT creates
// (201, the secret this once) or replaces (200), GET never shows the secret, another tenant's is 404,
// bad definitions are 400 naming the field.

describe("webhook endpoints: create, replace, read, list, delete", () => {
  it("creates an endpoint with its secret shown once, replaces it without, and never shows the secret", async () => {
    const { key } = await tenant();
    const endpointId = uid("hook");
    const first = await putWebhook(key, endpointId, { url: HOOK_URL, events: ["call.ended", "call.started"] });
    expect(first.status, await first.clone().text()).toBe(201);
    expect(first.headers.get("Location")).toBe(`/api/v1/webhooks/${endpointId}`);
    const created = (await first.json()) as Created;
    expect(isWebhookSecret(created.secret ?? "")).toBe(true);
    // Stored in a fixed order, enabled by default.
    expect(created).toMatchObject({ endpointId, url: HOOK_URL, events: ["call.started", "call.ended"], enabled: true });

    const second = await putWebhook(key, endpointId, {
      url: `${HOOK_URL}/v2`,
      events: ["recording.ready"],
      enabled: false,
    });
    expect(second.status).toBe(200);
    const replaced = (await second.json()) as Created;
    expect(replaced.secret).toBeUndefined();
    expect(replaced).toMatchObject({ url: `${HOOK_URL}/v2`, events: ["recording.ready"], enabled: false });
    expect(replaced.createdAt).toBe(created.createdAt);

    const read = await api(`/api/v1/webhooks/${endpointId}`, { key });
    expect(read.status).toBe(200);
    const text = await read.text();
    expect(text).not.toContain("whsec_");
    expect(JSON.parse(text)).toEqual({
      endpointId,
      url: `${HOOK_URL}/v2`,
      events: ["recording.ready"],
      enabled: false,
      createdAt: created.createdAt,
      updatedAt: replaced.updatedAt,
    });
    const list = await api("/api/v1/webhooks", { key });
    const listText = await list.text();
    expect(listText).not.toContain("whsec_");
    expect(
      (JSON.parse(listText) as { endpoints: { endpointId: string }[] }).endpoints.map((e) => e.endpointId),
    ).toEqual([endpointId]);
  });

  it("deletes: then 404 on GET and DELETE; a PUT after creates it again with a new secret", async () => {
    const { key } = await tenant();
    const endpointId = uid("hook");
    const created = (await (
      await putWebhook(key, endpointId, { url: HOOK_URL, events: ["call.ended"] })
    ).json()) as Created;
    expect((await api(`/api/v1/webhooks/${endpointId}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await api(`/api/v1/webhooks/${endpointId}`, { key }), 404, "webhook_not_found");
    await expectProblem(
      await api(`/api/v1/webhooks/${endpointId}`, { method: "DELETE", key }),
      404,
      "webhook_not_found",
    );
    const again = await putWebhook(key, endpointId, { url: HOOK_URL, events: ["call.ended"] });
    expect(again.status).toBe(201);
    const secret = ((await again.json()) as Created).secret;
    expect(isWebhookSecret(secret ?? "")).toBe(true);
    expect(secret).not.toBe(created.secret);
  });

  it("pages the list by id", async () => {
    const { key } = await tenant();
    for (const id of ["h-1", "h-2", "h-3"]) await putWebhook(key, id, { url: HOOK_URL, events: ["call.ended"] });
    const first = (await (await api("/api/v1/webhooks?limit=2", { key })).json()) as {
      endpoints: { endpointId: string }[];
      nextCursor?: string;
    };
    expect(first.endpoints.map((e) => e.endpointId)).toEqual(["h-1", "h-2"]);
    expect(first.nextCursor).toBe("h-2");
    const second = (await (await api(`/api/v1/webhooks?limit=2&cursor=h-2`, { key })).json()) as {
      endpoints: { endpointId: string }[];
      nextCursor?: string;
    };
    expect(second.endpoints.map((e) => e.endpointId)).toEqual(["h-3"]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("gives concurrent PUTs of a new endpoint exactly one secret", async () => {
    const { key } = await tenant();
    const endpointId = uid("hook");
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => putWebhook(key, endpointId, { url: HOOK_URL, events: ["call.ended"] })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(4);
  });

  it("records writes in the audit log, naming the endpoint", async () => {
    const { tenantId, key } = await tenant();
    const endpointId = uid("hook");
    await putWebhook(key, endpointId, { url: HOOK_URL, events: ["call.ended"] });
    await api(`/api/v1/webhooks/${endpointId}`, { method: "DELETE", key });
    let seen: string[] = [];
    for (let i = 0; i < 50 && seen.length < 2; i++) {
      const { entries } = (await (
        await api(`/api/v1/admin/audit?tenantId=${tenantId}`, { key: ADMIN_TOKEN })
      ).json()) as { entries: { action: string; target: string | null; result: string }[] };
      seen = entries.filter((e) => e.action.startsWith("webhook.")).map((e) => `${e.action} ${e.target} ${e.result}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.sort()).toEqual([`webhook.delete ${endpointId} ok`, `webhook.put ${endpointId} ok`]);
  });
});

describe("webhook endpoints: bad definitions are 400 naming the field", () => {
  const cases: [string, unknown, string][] = [
    ["http URL", { url: "http://hooks.example.com/x", events: ["call.ended"] }, "url: must use https"],
    ["loopback URL", { url: "https://127.0.0.1/x", events: ["call.ended"] }, "url: must not be a loopback"],
    ["private URL", { url: "https://10.0.0.7/x", events: ["call.ended"] }, "url: must not be a loopback"],
    ["localhost", { url: "https://localhost:8443/x", events: ["call.ended"] }, "url: must not be a loopback"],
    ["credentials", { url: "https://u:p@hooks.example.com/x", events: ["call.ended"] }, "url: must not carry"],
    ["not a URL", { url: "hooks", events: ["call.ended"] }, "url: must be an absolute URL"],
    ["no URL", { events: ["call.ended"] }, "url:"],
    ["unknown event", { url: HOOK_URL, events: ["call.started", "call.exploded"] }, "events[1]: must be one of"],
    ["no events", { url: HOOK_URL, events: [] }, "events: must name at least one event type"],
    ["repeated event", { url: HOOK_URL, events: ["call.ended", "call.ended"] }, "events[1]: repeats an event type"],
    ["enabled not boolean", { url: HOOK_URL, events: ["call.ended"], enabled: "yes" }, "enabled:"],
    ["unknown field", { url: HOOK_URL, events: ["call.ended"], secret: "whsec_x" }, "secret: is not a field"],
    ["not an object", ["x"], "(body)"],
  ];
  it.each(cases)("%s", async (_name, body, field) => {
    const { key } = await tenant();
    const problem = await expectProblem(await putWebhook(key, uid("hook"), body), 400, "invalid_webhook");
    expect(problem.detail).toContain(field);
  });

  it("refuses a bad endpoint id, a body that is not JSON, and a bad list query", async () => {
    const { key } = await tenant();
    await expectProblem(
      await putWebhook(key, "bad.id", { url: HOOK_URL, events: ["call.ended"] }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await api(`/api/v1/webhooks/${uid("hook")}`, {
        method: "PUT",
        key,
        headers: { "content-type": "application/json" },
        body: "{",
      }),
      400,
      "invalid_json",
    );
    await expectProblem(await api("/api/v1/webhooks?limit=0", { key }), 400, "invalid_request");
    await expectProblem(await api("/api/v1/webhooks?cursor=a.b", { key }), 400, "invalid_request");
  });

  it("allows http and localhost with ALLOW_PRIVATE_TOOL_URLS=true (development)", async () => {
    const { key } = await tenant();
    const res = await apiWithSettings({ ALLOW_PRIVATE_TOOL_URLS: "true" })(`/api/v1/webhooks/${uid("hook")}`, {
      method: "PUT",
      key,
      json: { url: "http://127.0.0.1:8799/hook", events: ["call.ended"] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
  });
});

describe("webhook endpoints: tenants and scopes", () => {
  it("another tenant's endpoint is 404 everywhere; its PUT makes its own", async () => {
    const a = await tenant();
    const b = await tenant();
    const endpointId = uid("hook");
    await putWebhook(a.key, endpointId, { url: HOOK_URL, events: ["call.ended"] });
    await expectProblem(await api(`/api/v1/webhooks/${endpointId}`, { key: b.key }), 404, "webhook_not_found");
    await expectProblem(
      await api(`/api/v1/webhooks/${endpointId}`, { method: "DELETE", key: b.key }),
      404,
      "webhook_not_found",
    );
    await expectProblem(
      await api(`/api/v1/webhooks/${endpointId}/deliveries`, { key: b.key }),
      404,
      "webhook_not_found",
    );
    await expectProblem(
      await api(`/api/v1/webhooks/${endpointId}/deliveries/evt_x/retry`, { method: "POST", key: b.key }),
      404,
      "webhook_not_found",
    );
    const listed = (await (await api("/api/v1/webhooks", { key: b.key })).json()) as { endpoints: unknown[] };
    expect(listed.endpoints).toEqual([]);
    const own = await putWebhook(b.key, endpointId, { url: `${HOOK_URL}/b`, events: ["call.started"] });
    expect(own.status).toBe(201);
    const aView = (await (await api(`/api/v1/webhooks/${endpointId}`, { key: a.key })).json()) as Created;
    expect(aView).toMatchObject({ url: HOOK_URL, events: ["call.ended"] });
  });

  it("needs the admin scope; the operator token is refused", async () => {
    const tenantId = uid("t");
    const caller = await createKey(tenantId, ["calls:write", "calls:read", "agents:write", "voice"]);
    const endpointId = uid("hook");
    await expectProblem(
      await putWebhook(caller, endpointId, { url: HOOK_URL, events: ["call.ended"] }),
      403,
      "forbidden",
    );
    await expectProblem(await api("/api/v1/webhooks", { key: caller }), 403, "forbidden");
    await expectProblem(await api("/api/v1/webhooks", { key: ADMIN_TOKEN }), 403, "forbidden");
  });
});

describe("subscribedEventTypes", () => {
  it("is the union of the enabled endpoints' types, and PUT and DELETE clear its cache", async () => {
    const { tenantId, key } = await tenant();
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual([]);
    await putWebhook(key, "one", { url: HOOK_URL, events: ["call.ended", "turn.completed"] });
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual(["turn.completed", "call.ended"]);
    await putWebhook(key, "two", { url: HOOK_URL, events: ["call.started", "call.ended"] });
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual(["call.started", "turn.completed", "call.ended"]);
    await putWebhook(key, "one", { url: HOOK_URL, events: ["call.ended"], enabled: false });
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual(["call.started", "call.ended"]);
    await api("/api/v1/webhooks/two", { method: "DELETE", key });
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual([]);
  });

  it("answers from the isolate's cache until it is told to forget", async () => {
    const { tenantId, key } = await tenant();
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual([]);
    // A change made elsewhere (another isolate's PUT): this isolate's entry stays until it expires or is forgotten.
    await env.DB.prepare(
      "INSERT INTO webhook_endpoints (tenant_id, endpoint_id, url, events_json, enabled, secret_enc, secret_kid, " +
        "created_at, updated_at) VALUES (?, 'x', ?, '[\"call.ended\"]', 1, 'x', 'x', '', '')",
    )
      .bind(tenantId, HOOK_URL)
      .run();
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual([]);
    expect(await subscribedEventTypes(env.DB, tenantId, Date.now() + 60_000)).toEqual(["call.ended"]);
    forgetSubscriptions(tenantId);
    expect(await subscribedEventTypes(env.DB, tenantId)).toEqual(["call.ended"]);
    void key;
  });
});
