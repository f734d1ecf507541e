import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import streamProtocol from "../../docs/stream-protocol.schema.json";
import contactCenter from "../../src/nlp/flows/contact-center.json";
import payments from "../../src/nlp/flows/payments.json";
import silenceWav from "../fixtures/audio/silence-2s-16k.wav";
import {
  anyAuth,
  audioCase,
  binaryFrame,
  contentLengths,
  extraHeader,
  headerValue,
  jsonContentTypes,
  modelIdSpellings,
  nearModelId,
  nonOwnerAuth,
  oddTextFrame,
  ownerKeySpellings,
  pathId,
  queryString,
  utterance,
  type Frame,
} from "./arbitraries";
import {
  FuzzWorld,
  params,
  printable,
  runsFor,
  summary,
  TOTAL_RUNS,
  type AuthKind,
  type FuzzRequest,
  type Sent,
  type Stats,
} from "./harness";
import { anyJson, mutated, SchemaArbitraries, type JsonSchema } from "./json-schema-arbitrary";
import { runFrames } from "./stream";

// Issue 21: property-based tests over the public API's inputs (docs/security.md#fuzzing). Each
// property generates requests of one kind (JSON bodies, headers, query strings, path ids, audio
// bodies, WebSocket frames) and checks, for every answer: no 5xx; every 4xx a problem+json body
// whose `status` is the response's; every stream error a problem with a code, every close a
// documented code. A model (a call with turns and an agent) is recorded before the run and must be
// byte-for-byte the same after it. `npm test` runs a bounded number of cases; `npm run fuzz`
// (vitest.fuzz.config.ts) runs 10,000 and prints the figures.

const world = new FuzzWorld();
let schemas: SchemaArbitraries;
let openapi: {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>>;
};
let started = 0;

/** The JSON Schema of a route's JSON body, from /openapi.json. */
function bodySchema(path: string, method: string): fc.Arbitrary<unknown> {
  const schema = openapi.paths[path]?.[method]?.requestBody?.content?.["application/json"]?.schema;
  return schema ? schemas.of(schema) : anyJson;
}

/** Keeps the scratch call usable: a request that ended, erased or filled it retires it. */
function observe(sent: Sent): void {
  if (!sent.request.path.includes("{scratch}")) return;
  const ended =
    sent.status === 409 ||
    sent.status === 404 ||
    sent.status === 422 ||
    (sent.request.method === "DELETE" && sent.status < 300) ||
    (sent.request.path.endsWith("/end") && sent.status < 300) ||
    sent.text.includes('"callStatus":"ended"');
  if (ended) world.retireScratch();
}

/** Runs one property: its cases, timed and counted under `name`. */
async function run<T>(name: string, share: number, arb: fc.Arbitrary<T>, body: (t: T, stats: Stats) => Promise<void>) {
  const stats = world.statsFor(name);
  const t0 = Date.now();
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (t) => {
        stats.cases++;
        await body(t, stats);
      }),
      params(runsFor(share)),
    );
  } finally {
    stats.ms += Date.now() - t0;
  }
  await world.assertModelUnchanged();
}

/** Body texts from a value: JSON mostly, and the ways JSON arrives broken. */
const serialized = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 12, arbitrary: value.map((v) => JSON.stringify(v) ?? "null") },
    {
      weight: 1,
      arbitrary: fc.tuple(value, fc.nat()).map(([v, n]) => {
        const s = JSON.stringify(v) ?? "";
        return s.slice(0, s.length ? n % s.length : 0);
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(value, fc.constantFrom("\ufeff", " \n\t", "garbage", "}", ",", "\u0000", "//x\n", "{}"))
        .chain(([v, extra]) =>
          fc.boolean().map((before) => (before ? extra + JSON.stringify(v) : JSON.stringify(v) + extra)),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "{",
        "[",
        "{'text':'hi'}",
        '{"text":"hi",}',
        '{"text":"hi","text":"ho"}',
        '{"text":NaN}',
        '{"text":"\\ud800"}',
        '{"text":"\\u0000"}',
        '{"__proto__":{"admin":true},"text":"hi"}',
        '{"text":1e999}',
        "[".repeat(10_000) + "]".repeat(10_000),
        '{"a":'.repeat(3000) + "1" + "}".repeat(3000),
        '{"text":"' + "a".repeat(70_000) + '"}',
      ),
    },
  );

beforeAll(async () => {
  await world.setUp();
  const res = await world.send(world.plain("GET", "/openapi.json", "none"));
  openapi = JSON.parse(res.text) as typeof openapi;
  const components = (JSON.parse(res.text) as { components: { schemas: Record<string, JsonSchema> } }).components
    .schemas;
  schemas = new SchemaArbitraries(components);
  started = Date.now();
}, 60_000);

afterAll(async () => {
  await world.tearDown();
  console.log(summary(world, Date.now() - started));
});

describe(`fuzz: ${TOTAL_RUNS} cases over the public API`, { timeout: 900_000 }, () => {
  it("JSON bodies: calls, turns, context, agents, synthesis, keys", async () => {
    const routes = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constant({ m: "POST", p: "/api/v1/calls", q: "reply=text", s: "/api/v1/calls", sm: "post" }),
      },
      {
        weight: 4,
        arbitrary: fc.constant({
          m: "POST",
          p: "/api/v1/calls/{scratch}/turns",
          q: "reply=text",
          s: "/api/v1/calls/{callId}/turns",
          sm: "post",
        }),
      },
      {
        weight: 2,
        arbitrary: fc.constant({
          m: "PATCH",
          p: "/api/v1/calls/{scratch}",
          q: undefined,
          s: "/api/v1/calls/{callId}",
          sm: "patch",
        }),
      },
      {
        weight: 3,
        arbitrary: fc
          .constantFrom(...world.agents)
          .map((a) => ({ m: "PUT", p: `/api/v1/agents/${a}`, q: undefined, s: "/api/v1/agents/{agentId}", sm: "put" })),
      },
      {
        weight: 2,
        arbitrary: fc.constant({
          m: "POST",
          p: "/api/v1/voice/synthesize",
          q: undefined,
          s: "/api/v1/voice/synthesize",
          sm: "post",
        }),
      },
      {
        weight: 1,
        arbitrary: fc.constant({
          m: "POST",
          p: "/api/v1/admin/keys",
          q: undefined,
          s: "/api/v1/admin/keys",
          sm: "post",
        }),
      },
      {
        weight: 1,
        arbitrary: pathId.map((id) => ({
          m: "POST",
          p: `/api/v1/admin/keys/${id}/rotate`,
          q: undefined,
          s: "/api/v1/admin/keys/{keyId}/rotate",
          sm: "post",
        })),
      },
      {
        weight: 1,
        arbitrary: fc.constant({ m: "POST", p: "/api/v1/calls/{scratch}/end", q: undefined, s: "", sm: "" }),
      },
    );
    // Agents driven by a flow: the built-in flows with edits, which flow validation must refuse or the engine run.
    const flowAgent = fc
      .record({
        flow: mutated([contactCenter, payments]),
        name: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      })
      .map(({ flow, name }) => (name === undefined ? { flow } : { flow, name }));
    const cases = routes.chain((r) => {
      let value = bodySchema(r.s, r.sm);
      if (r.sm === "put") value = fc.oneof(value, flowAgent);
      // A new call named like the model's, or driven by the model agent: 409, or a call that leaves the agent as it is.
      if (r.p === "/api/v1/calls") {
        value = fc.tuple(value, fc.nat({ max: 9 })).map(([v, n]) =>
          v && typeof v === "object" && !Array.isArray(v)
            ? {
                ...v,
                ...(n === 0
                  ? { callId: "{model}" }
                  : n === 1
                    ? { agent: "{modelAgent}" }
                    : n === 2
                      ? { agent: world.agents[n % 3] }
                      : {}),
              }
            : v,
        );
      }
      return fc.record({
        route: fc.constant(r),
        text: serialized(value),
        contentType: fc.oneof(
          { weight: 8, arbitrary: fc.constant("application/json") },
          { weight: 2, arbitrary: jsonContentTypes },
        ),
        auth: fc.oneof(
          { weight: 9, arbitrary: fc.constant<AuthKind>("owner") },
          { weight: 1, arbitrary: nonOwnerAuth },
        ),
        // A turn answered as Server-Sent Events now and then.
        events: r.p.endsWith("/turns") ? fc.boolean() : fc.constant(false),
        // Idempotency keys from a small pool, so retries with another body happen.
        idempotencyKey: fc.option(fc.oneof(fc.constantFrom("k1", "k2", "k3"), fc.string({ maxLength: 300 })), {
          freq: 3,
        }),
        // The same request sent two or three times at once.
        copies: fc.oneof(
          { weight: 12, arbitrary: fc.constant(1) },
          { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) },
        ),
      });
    });
    await run("bodies", 0.25, cases, async (c, stats) => {
      const r: FuzzRequest = printable({
        method: c.route.m,
        path: c.route.p,
        ...(c.route.q === undefined ? {} : { query: c.route.q }),
        auth: c.auth,
        headers: [
          ...(c.contentType === "" ? [] : [["Content-Type", c.contentType] as [string, string]]),
          ...(c.events ? [["Accept", "text/event-stream"] as [string, string]] : []),
          ...(c.idempotencyKey === null ? [] : [["Idempotency-Key", c.idempotencyKey] as [string, string]]),
        ],
        body: { text: c.text },
      });
      const answers = await Promise.all(Array.from({ length: c.copies }, () => world.check(stats, r)));
      answers.forEach(observe);
    });
  });

  it("headers: Content-Type and its parameters, Authorization spellings, Content-Length, others", async () => {
    const templates: FuzzRequest[] = [
      { method: "GET", path: "/api/v1/calls/{scratch}", auth: "owner", headers: [] },
      { method: "GET", path: "/api/v1/calls", query: "limit=2", auth: "owner", headers: [] },
      world.plain("POST", "/api/v1/calls/{scratch}/turns", "owner", { text: "billing" }),
      world.plain("POST", "/api/v1/voice/synthesize", "owner", { text: "hi" }),
      world.plain("POST", "/api/v1/calls", "owner", {}),
      world.plain("PUT", "/api/v1/agents/fuzz-agent-a", "owner", { instructions: "Be brief." }),
      world.plain("PATCH", "/api/v1/calls/{scratch}", "owner", { context: { k: 1 } }),
      {
        method: "POST",
        path: "/api/v1/voice/transcribe",
        auth: "owner",
        headers: [["Content-Type", "audio/wav"]],
        body: { bytes: silenceWav },
      },
      { method: "GET", path: "/api/v1/calls/{scratch}/stream", auth: "owner", headers: [] },
      { method: "POST", path: "/api/v1/calls/{scratch}/stream-token", auth: "owner", headers: [] },
    ];
    const query = (t: FuzzRequest) =>
      t.path.endsWith("/turns") || (t.path === "/api/v1/calls" && t.method === "POST") ? { query: "reply=text" } : {};
    const cases = fc.record({
      template: fc.constantFrom(...templates),
      contentType: fc.option(fc.oneof(jsonContentTypes, headerValue(60)), { freq: 2 }),
      authorization: fc.option(
        fc.oneof({ weight: 3, arbitrary: ownerKeySpellings }, { weight: 1, arbitrary: headerValue(80) }),
        { freq: 2 },
      ),
      contentLength: fc.option(contentLengths, { freq: 4 }),
      extra: fc.array(extraHeader, { maxLength: 4 }),
    });
    await run("headers", 0.15, cases, async (c, stats) => {
      const t = c.template;
      let headers = [...t.headers];
      if (c.contentType !== null)
        headers = [...headers.filter(([k]) => k !== "Content-Type"), ["Content-Type", c.contentType]];
      const key = world.keys.owner;
      const auth: AuthKind =
        c.authorization === null
          ? t.auth
          : {
              raw: c.authorization
                .replaceAll("{key}", key)
                .replaceAll("{key-1}", key.slice(0, -1))
                .replaceAll("{KEY}", key.toUpperCase()),
            };
      if (c.contentLength !== null) headers.push(["Content-Length", c.contentLength]);
      const r: FuzzRequest = printable({ ...t, ...query(t), auth, headers: [...headers, ...c.extra] });
      observe(await world.check(stats, r));
    });
  });

  it("query strings: numbers, dates, cursors, languages, formats, repeats and broken encodings", async () => {
    const routes: { r: FuzzRequest; names: string[] }[] = [
      {
        r: { method: "GET", path: "/api/v1/calls", auth: "owner", headers: [] },
        names: ["status", "from", "to", "limit", "cursor"],
      },
      { r: world.plain("POST", "/api/v1/calls", "owner", {}), names: ["reply", "format", "sampleRate"] },
      {
        r: world.plain("POST", "/api/v1/calls/{scratch}/turns", "owner", { text: "billing" }),
        names: ["reply", "format", "sampleRate"],
      },
      {
        r: {
          method: "POST",
          path: "/api/v1/voice/transcribe",
          auth: "owner",
          headers: [["Content-Type", "audio/L16;rate=8000"]],
          body: { bytes: new Uint8Array(1600) },
        },
        names: ["language", "provider"],
      },
      { r: { method: "GET", path: "/api/v1/agents", auth: "owner", headers: [] }, names: ["limit", "cursor"] },
      {
        r: { method: "GET", path: "/api/v1/calls/{scratch}/recording", auth: "owner", headers: [] },
        names: ["turnId"],
      },
      {
        r: { method: "GET", path: "/api/v1/admin/audit", auth: "owner", headers: [] },
        names: ["tenantId", "from", "to", "limit"],
      },
      { r: { method: "GET", path: "/api/v1/admin/keys", auth: "owner", headers: [] }, names: ["tenantId"] },
      { r: { method: "GET", path: "/api/v1/calls/{scratch}/stream", auth: "none", headers: [] }, names: ["token"] },
      { r: world.plain("POST", "/api/v1/voice/synthesize", "owner", { text: "ok" }), names: ["format", "sampleRate"] },
    ];
    const cases = fc
      .constantFrom(...routes)
      .chain((route) => fc.record({ route: fc.constant(route), query: queryString(route.names) }));
    await run("queries", 0.15, cases, async (c, stats) => {
      observe(await world.check(stats, printable({ ...c.route.r, query: c.query })));
    });
  });

  it("path ids: random, percent-encoded, overlong, next to the model's, on every route that takes one", async () => {
    const callRoutes: [string, string][] = [
      ["GET", "/api/v1/calls/{id}"],
      ["PATCH", "/api/v1/calls/{id}"],
      ["DELETE", "/api/v1/calls/{id}"],
      ["POST", "/api/v1/calls/{id}/end"],
      ["GET", "/api/v1/calls/{id}/recording"],
      ["POST", "/api/v1/calls/{id}/turns"],
      ["POST", "/api/v1/calls/{id}/stream-token"],
      ["GET", "/api/v1/calls/{id}/stream"],
      ["OPTIONS", "/api/v1/calls/{id}"],
      ["PUT", "/api/v1/calls/{id}"],
    ];
    const agentRoutes: [string, string][] = [
      ["GET", "/api/v1/agents/{id}"],
      ["PUT", "/api/v1/agents/{id}"],
      ["DELETE", "/api/v1/agents/{id}"],
      ["POST", "/api/v1/agents/{id}/rotate-secret"],
    ];
    const otherRoutes: [string, string][] = [
      ["DELETE", "/api/v1/admin/keys/{id}"],
      ["POST", "/api/v1/admin/keys/{id}/rotate"],
      ["GET", "/api/v1/telephony/twilio/stream/{id}"],
    ];
    const bodies: Record<string, unknown> = {
      PATCH: { context: { fuzz: true } },
      PUT: { instructions: "Hello." },
      POST: { text: "billing" },
    };
    const asAgent = (id: string) => id.replaceAll("{model", "{modelAgent").replaceAll("{MODEL}", "{MODELAGENT}");
    const route = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...callRoutes).map(([m, p]) => ({ m, p, agent: false })) },
      { weight: 3, arbitrary: fc.constantFrom(...agentRoutes).map(([m, p]) => ({ m, p, agent: true })) },
      { weight: 1, arbitrary: fc.constantFrom(...otherRoutes).map(([m, p]) => ({ m, p, agent: false })) },
    );
    const cases = route.chain((rt) =>
      fc
        .oneof(
          // Any credentials, an id that is not the model's.
          {
            weight: 6,
            arbitrary: fc.record({
              id: fc.oneof({ weight: 4, arbitrary: pathId }, { weight: 1, arbitrary: nearModelId }),
              auth: anyAuth,
            }),
          },
          // The model's id itself, with credentials that cannot change it: 401, 403 or another tenant's 404.
          { weight: 2, arbitrary: fc.record({ id: modelIdSpellings, auth: nonOwnerAuth }) },
          // The owner reading the model.
          { weight: 1, arbitrary: fc.record({ id: fc.constant("{model}"), auth: fc.constant<AuthKind>("owner") }) },
        )
        .filter(({ id, auth }) => !(auth === "owner" && id === "{model}" && rt.m !== "GET"))
        .filter(({ id, auth }) => !(auth === "owner" && id === "{model}" && rt.p.endsWith("/stream")))
        .map(({ id, auth }) => ({ rt, id: rt.agent ? asAgent(id) : id, auth })),
    );
    await run("ids", 0.15, cases, async (c, stats) => {
      const json = bodies[c.rt.m];
      const r: FuzzRequest = printable({
        ...world.plain(c.rt.m, c.rt.p.replace("{id}", c.id), c.auth, json),
        ...(c.rt.p.endsWith("/turns") ? { query: "reply=text" } : {}),
      });
      await world.check(stats, r);
    });
  });

  it("methods and paths: every route of /openapi.json and its neighbours, with any method", async () => {
    const paths = [
      ...Object.keys(openapi.paths).map((p) =>
        p
          .replace(/\{callId\}/, "{scratch}")
          .replace(/\{agentId\}/, "fuzz-agent-b")
          .replace(/\{[A-Za-z]+\}/g, "x1"),
      ),
      "/",
      "/console",
      "/docs",
      "/api",
      "/api/v1",
      "/api/v1/",
      "/api/v2/calls",
      "//api/v1/calls",
      "/api/v1//calls",
      "/api/v1/calls/",
      "/API/V1/CALLS",
      "/api/v1/calls/{scratch}/turns/",
      "/api/v1/calls/{scratch}/turns/x",
      "/api/v1/calls/%7Bscratch%7D",
      "/api/v1/webhooks/x",
      "/favicon.ico",
    ];
    const cases = fc.record({
      method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PURGE", "PROPFIND", "get"),
      path: fc.constantFrom(...paths),
      auth: anyAuth,
      body: fc.option(serialized(anyJson), { freq: 2 }),
    });
    await run("routes", 0.05, cases, async (c, stats) => {
      const r: FuzzRequest = printable({
        method: c.method,
        path: c.path,
        ...(c.path.endsWith("/turns") || c.path === "/api/v1/calls" ? { query: "reply=text" } : {}),
        auth: c.auth,
        headers: c.body === null ? [] : [["Content-Type", "application/json"]],
        ...(c.body === null ? {} : { body: { text: c.body } }),
      });
      observe(await world.check(stats, r));
    });
  });

  it("audio bodies: lying WAV headers, audio/L16 parameters, containers, multipart, mismatched types", async () => {
    const target = fc.oneof(
      { weight: 6, arbitrary: fc.constant({ path: "/api/v1/calls/{scratch}/turns", query: "reply=text" }) },
      { weight: 1, arbitrary: fc.constant({ path: "/api/v1/calls/{scratch}/turns", query: "format=mulaw" }) },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          { path: "/api/v1/voice/transcribe", query: "" },
          { path: "/api/v1/voice/transcribe", query: "language=en-GB" },
        ),
      },
    );
    const cases = fc.record({
      target,
      audio: audioCase,
      idempotencyKey: fc.option(fc.string({ maxLength: 20 }), { freq: 5 }),
    });
    await run("audio", 0.15, cases, async (c, stats) => {
      const headers: [string, string][] = c.audio.contentType === null ? [] : [["Content-Type", c.audio.contentType]];
      if (c.idempotencyKey !== null) headers.push(["Idempotency-Key", c.idempotencyKey]);
      const r: FuzzRequest = printable({
        method: "POST",
        path: c.target.path,
        ...(c.target.query ? { query: c.target.query } : {}),
        auth: "owner",
        headers,
        body: c.audio.body,
      });
      observe(await world.check(stats, r));
    });
  });

  it("stream frames: random JSON, messages off their schema, binary, oversized, before and after start", async () => {
    const client = (streamProtocol as unknown as { client: { oneOf: JsonSchema[] } }).client;
    const messages = new SchemaArbitraries({}, 1);
    const start = messages.of(client.oneOf[0]!).map((v): Frame => ({ text: JSON.stringify(v) }));
    const validStart = fc
      .record({
        format: fc.constantFrom("pcm16", "mulaw"),
        sampleRate: fc.constantFrom(8000, 16000, 24000),
        reply: fc.constantFrom("text", "text", "audio"),
      })
      .map((s): Frame => ({ text: JSON.stringify({ type: "start", ...s }) }));
    const clientMessage = fc
      .oneof(...client.oneOf.slice(1).map((s) => messages.of(s)))
      .map((v): Frame => ({ text: JSON.stringify(v) }));
    const frame = fc.oneof(
      { weight: 3, arbitrary: clientMessage },
      { weight: 3, arbitrary: binaryFrame },
      { weight: 2, arbitrary: oddTextFrame },
      { weight: 1, arbitrary: start },
    );
    const cases = fc.record({
      target: fc.oneof(
        { weight: 8, arbitrary: fc.constant("scratch" as const) },
        { weight: 1, arbitrary: fc.constant("missing" as const) },
        { weight: 1, arbitrary: fc.constant("model" as const) },
      ),
      auth: fc.oneof(
        { weight: 8, arbitrary: fc.constant("bearer" as const) },
        { weight: 1, arbitrary: fc.constant("token" as const) },
        { weight: 1, arbitrary: nonOwnerAuth },
      ),
      first: fc.oneof(
        { weight: 6, arbitrary: validStart },
        { weight: 1, arbitrary: start },
        { weight: 1, arbitrary: frame },
      ),
      frames: fc
        .array(
          fc.oneof(
            { weight: 12, arbitrary: frame.map((f) => ({ frames: [f], speech: false })) },
            { weight: 1, arbitrary: utterance.map((frames) => ({ frames, speech: true })) },
          ),
          { maxLength: 6 },
        )
        .map((groups) => ({ frames: groups.flatMap((g) => g.frames), speech: groups.some((g) => g.speech) })),
    });
    await run("stream", 0.1, cases, async (c, stats) => {
      // The model only with credentials that cannot open it (another tenant's key: 4404 on the socket).
      const auth = c.target === "model" && (c.auth === "bearer" || c.auth === "token") ? "intruder" : c.auth;
      const id =
        c.target === "scratch" ? "{scratch}" : c.target === "model" ? "{model}" : `missing-${c.frames.frames.length}`;
      let query: string | undefined;
      let credentials: AuthKind = auth === "bearer" ? "owner" : auth === "token" ? "none" : auth;
      if (auth === "token") {
        const minted = await world.check(
          stats,
          printable(world.plain("POST", `/api/v1/calls/${id}/stream-token`, "owner")),
        );
        if (minted.status !== 201) {
          observe(minted);
          return;
        }
        query = `token=${encodeURIComponent((JSON.parse(minted.text) as { token: string }).token)}`;
        credentials = "none";
      }
      const r: FuzzRequest = printable({
        method: "GET",
        path: `/api/v1/calls/${id}/stream`,
        ...(query ? { query } : {}),
        auth: credentials,
        headers: [["Upgrade", "websocket"]],
      });
      const sent = await world.check(stats, r, true);
      if (!sent.webSocket) return;
      await runFrames(world, stats, sent.webSocket, [c.first, ...c.frames.frames], c.frames.speech);
    });
  });

  it("leaves the tenant's model call and agent byte-for-byte unchanged, and makes no outbound request", async () => {
    await world.assertModelUnchanged();
    expect(world.outbound).toEqual([]);
    const fiveXX = [...world.stats.values()].reduce((n, s) => n + s.fiveXX, 0);
    expect(fiveXX).toBe(0);
  });
});
