import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { recordingLink, RECORDING_LINK_TTL_SECONDS, verifyRecordingLink } from "../../src/events/recording-url";
import { ADMIN_TOKEN, api, createKey, expectProblem, tenant } from "../helpers/api";
import { apiWithSettings } from "../helpers/objects";

// The signed link a recording.ready event carries (src/events/recording-url.ts): it opens that call's
// recording of that tenant for an hour without an API key, and nothing else; the route's API-key
// access is unchanged.

const TEST_KEY = "test-1:IunY3onAFvgtTXv/FPQYiVGLNqIKLywhD+jyVJY3egU=";
const NEW_KEY = "test-2:qpYUaMeB7tC6v8F0Pq4ubtgJgTpm1eJHkAk6pIM1Wg0=";

let call: { tenantId: string; key: string; callId: string; other: string; wav: Uint8Array };

beforeAll(async () => {
  const { tenantId, key } = await tenant();
  const started: string[] = [];
  // Two calls with audio (their greetings are spoken by the embedded engine).
  for (let i = 0; i < 2; i++) {
    const res = await api("/api/v1/calls", { method: "POST", key, json: {} });
    expect(res.status).toBe(201);
    started.push(((await res.json()) as { callId: string }).callId);
  }
  const withKey = await api(`/api/v1/calls/${started[0]}/recording`, { key });
  expect(withKey.status).toBe(200);
  call = {
    tenantId,
    key,
    callId: started[0]!,
    other: started[1]!,
    wav: new Uint8Array(await withKey.arrayBuffer()),
  };
}, 30_000);

const link = async (claims: { tenantId: string; callId: string; turnId?: string }, at = Date.now()) =>
  (await recordingLink(env, claims, at)).url;

describe("a signed recording link", () => {
  it("opens the call's recording without an API key, and is audited as a link read", async () => {
    const { url, expiresAt } = await recordingLink(env, { tenantId: call.tenantId, callId: call.callId }, Date.now());
    expect(url).toMatch(
      new RegExp(`^/api/v1/calls/${call.callId}/recording\\?tenant=${call.tenantId}&expires=\\d+&sig=v1\\.test-1\\.`),
    );
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan((RECORDING_LINK_TTL_SECONDS - 5) * 1000);
    const res = await api(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("audio/wav");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(call.wav);
    const audit = (await (await api(`/api/v1/admin/audit?tenantId=${call.tenantId}`, { key: ADMIN_TOKEN })).json()) as {
      entries: { actor: string; action: string; target: string; result: string }[];
    };
    expect(audit.entries).toContainEqual(
      expect.objectContaining({ actor: "recording-link", action: "recording.read", target: call.callId, result: "ok" }),
    );
  });

  it("is refused once expired, with 401 saying so", async () => {
    const old = await link(
      { tenantId: call.tenantId, callId: call.callId },
      Date.now() - (RECORDING_LINK_TTL_SECONDS + 5) * 1000,
    );
    const problem = await expectProblem(await api(old), 401, "unauthorized");
    expect(problem.detail).toContain("expired");
  });

  it("is refused when tampered with, or used for another call, another tenant or one turn", async () => {
    const url = await link({ tenantId: call.tenantId, callId: call.callId });
    const u = new URL(url, "http://x");
    const sig = u.searchParams.get("sig")!;
    const expires = Number(u.searchParams.get("expires"));
    const variants = [
      url.replace(`expires=${expires}`, `expires=${expires + 3600}`), // a longer life
      url.replace(sig, `${sig.slice(0, -2)}${sig.endsWith("A") ? "BB" : "AA"}`), // another MAC
      url.replace(`/calls/${call.callId}/`, `/calls/${call.other}/`), // another call of the tenant
      url.replace(`tenant=${call.tenantId}`, "tenant=t_someone_else"), // another tenant
      `${url}&turnId=turn-1`, // one turn: not what was signed
      url.replace("sig=v1.test-1.", "sig=v1.nokey."), // a key id the deployment lacks
      url.replace(/&sig=[^&]*/, "&sig=v2.test-1.x"), // not a signature at all
      url.replace(/&expires=\d+/, ""), // no expiry
      url.replace(/tenant=[^&]*&/, ""), // no tenant
    ];
    for (const bad of variants) {
      const problem = await expectProblem(await api(bad), 401, "unauthorized");
      expect(problem.detail, bad).toContain("not valid");
    }
    // A link for the other call opens that call only.
    expect((await api(await link({ tenantId: call.tenantId, callId: call.other }))).status).toBe(200);
  });

  it("keeps working after ARCHIVE_KEYS is rotated while its key stays, and stops when the key is removed", async () => {
    const url = await link({ tenantId: call.tenantId, callId: call.callId });
    expect((await apiWithSettings({ ARCHIVE_KEYS: `${NEW_KEY},${TEST_KEY}` })(url)).status).toBe(200);
    await expectProblem(await apiWithSettings({ ARCHIVE_KEYS: NEW_KEY })(url), 401, "unauthorized");
  });

  it("does not change API-key access: a key still needs calls:read, and a key wins over a link", async () => {
    const url = await link({ tenantId: call.tenantId, callId: call.callId });
    const writer = await createKey(call.tenantId, ["calls:write"]);
    await expectProblem(await api(url, { key: writer }), 403, "forbidden");
    await expectProblem(await api(url, { key: "vek_not_a_key" }), 401, "unauthorized");
    await expectProblem(await api(`/api/v1/calls/${call.callId}/recording`), 401, "unauthorized");
    // Another tenant's key with a valid link for this call: the key wins, and that tenant has no such call.
    const stranger = await tenant();
    await expectProblem(await api(url, { key: stranger.key }), 404, "recording_not_found");
    expect((await api(`/api/v1/calls/${call.callId}/recording`, { key: call.key })).status).toBe(200);
  });

  it("verifies only what it signed (unit)", async () => {
    const claims = { tenantId: "t1", callId: "c1" };
    const now = Date.now();
    const u = new URL(await link(claims, now), "http://x");
    const parts = { expires: u.searchParams.get("expires") ?? undefined, sig: u.searchParams.get("sig") ?? undefined };
    expect(await verifyRecordingLink(env, claims, parts, now)).toBe("ok");
    expect(await verifyRecordingLink(env, claims, parts, now + (RECORDING_LINK_TTL_SECONDS + 1) * 1000)).toBe(
      "expired",
    );
    expect(await verifyRecordingLink(env, { ...claims, callId: "c2" }, parts, now)).toBe("invalid");
    expect(await verifyRecordingLink(env, claims, { ...parts, expires: "01" }, now)).toBe("invalid");
    expect(await verifyRecordingLink(env, claims, { expires: undefined, sig: undefined }, now)).toBe("invalid");
  });
});
