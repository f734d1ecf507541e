import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { inject, vi } from "vitest";
import worker from "../../src/index";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { ADMIN_TOKEN, uid } from "../helpers/api";
import { FAKE_MODEL_BASE, FAKE_MODEL_SETTINGS, fakeChatModel, type ModelStep } from "../helpers/fake-chat-model";
import { callObject, setCallBindings } from "../helpers/objects";

/**
 * What every fuzz property shares: the tenant and its keys, the model (a call and an agent that no
 * generated request may change), scratch calls that generated requests may change, one way to
 * send a request through the Worker, the invariants every response must keep, and the counts the
 * run prints.
 */

declare module "vitest" {
  export interface ProvidedContext {
    /** Cases across all properties (vitest.fuzz.config.ts, from FUZZ_RUNS). Unset: the bounded default. */
    fuzzRuns?: number;
    /** A fast-check seed to replay a run (FUZZ_SEED). */
    fuzzSeed?: number;
  }
}

/** Cases per run of `npm test`, across all properties: about 15-25 s on the 2-core machine. */
export const DEFAULT_RUNS = 500;
export const TOTAL_RUNS = inject("fuzzRuns") ?? DEFAULT_RUNS;
/** FUZZ_SEED, or a new seed per run (printed, so a failing run can be replayed). */
export const SEED = inject("fuzzSeed") ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

/** Cases of one property: its share of the total. */
export function runsFor(share: number): number {
  return Math.max(10, Math.round(TOTAL_RUNS * share));
}

const BASE = "http://voice-edge.test";

/**
 * The deployment the fuzz talks to: the test settings, with the tenant's request rate and active
 * calls lifted (so cases reach validation instead of all being 429), speech recognition through
 * Deepgram's wire format and agents' language model through OpenAI's, both answered by stubs
 * below: nothing leaves the machine.
 */
const STUB_SETTINGS = {
  STT_PROVIDERS: "deepgram",
  DEEPGRAM_API_KEY: "fuzz-stub-key",
  ...FAKE_MODEL_SETTINGS,
  // The stub model keeps data where it is, so EU-resident agent calls (`"residency": "eu"`) may use it too.
  OPENAI_LLM_ZONE: "eu",
} as const;
export const fuzzEnv = {
  ...env,
  ...STUB_SETTINGS,
  TENANT_REQUESTS_PER_MINUTE: "1000000",
  TENANT_MAX_ACTIVE_CALLS: "100000",
} as unknown as Env;

/** What the stub model answers, by request: text mostly, now and then a goodbye with end_call, or an unknown tool. */
function modelAnswer(index: number): ModelStep[] {
  if (index % 9 === 7) return [{ text: "Goodbye." }, { tool: "end_call", arguments: {} }];
  if (index % 9 === 8) return [{ tool: "no_such_tool", arguments: { x: 1 } }];
  return [{ text: "Your balance is forty two dollars. Anything else?" }];
}

/** Transcripts the stub provider answers with, picked by the audio's length. */
const STUB_TRANSCRIPTS = [
  "i would like to check my account balance please",
  "billing question",
  "",
  "talk to a person",
  "my card number is 4111 1111 1111 1111",
];

export type AuthKind =
  "owner" | "readOnly" | "voiceOnly" | "intruder" | "revoked" | "operator" | "none" | { raw: string };

export interface Body {
  /** Text, bytes, or a form with string and file fields. */
  text?: string;
  bytes?: Uint8Array;
  form?: { name: string; value: string | { bytes: Uint8Array; type: string; filename: string } }[];
}

/** One generated request. Paths may hold {scratch}, {model}, {agent}, {modelAgent}: ids resolved when sent. */
export interface FuzzRequest {
  method: string;
  path: string;
  query?: string;
  auth: AuthKind;
  headers: [string, string][];
  body?: Body;
}

export interface Sent {
  request: FuzzRequest;
  url: string;
  status: number;
  contentType: string | null;
  text: string;
  webSocket: WebSocket | null;
  /** The Request could not be built (a header value fetch() refuses): nothing was sent. */
  unsendable?: string;
}

/** Counts for the summary. */
export class Stats {
  cases = 0;
  requests = 0;
  unsendable = 0;
  unsendableWhy = new Map<string, number>();
  /** Requests and milliseconds by route. */
  time = new Map<string, [number, number]>();
  byClass = new Map<string, number>();
  byStatus = new Map<number, number>();
  codes = new Map<string, number>();
  wsCloses = new Map<number, number>();
  wsErrors = new Map<string, number>();
  fiveXX = 0;
  ms = 0;

  count(status: number, code?: string): void {
    this.requests++;
    const cls = `${Math.floor(status / 100)}xx`;
    bump(this.byClass, cls);
    bump(this.byStatus, status);
    if (status >= 500) this.fiveXX++;
    if (code) bump(this.codes, code);
  }
}

function bump<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

export class FuzzWorld {
  tenantId = "";
  keys: Record<"owner" | "readOnly" | "voiceOnly" | "intruder" | "revoked", string> = {
    owner: "",
    readOnly: "",
    voiceOnly: "",
    intruder: "",
    revoked: "",
  };
  modelCall = "";
  modelAgent = "";
  /** Agent ids generated PUTs may create and change. */
  readonly agents = ["fuzz-agent-a", "fuzz-agent-b", "fuzz-agent-c"];
  private scratchId = "";
  private scratchUses = 0;
  private scratchCount = 0;
  readonly outbound: string[] = [];
  private restoreFetch: { mockRestore(): void } | undefined;
  readonly stats = new Map<string, Stats>();
  private modelBefore = "";
  private modelObjectBefore = "";
  private modelAgentBefore = "";

  async setUp(): Promise<void> {
    resetHealthForTests();
    let answered = 0;
    const model = fakeChatModel(() => modelAnswer(answered++));
    this.restoreFetch = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      const url = new URL(req.url);
      if (url.origin === FAKE_MODEL_BASE) {
        model.requests.length = 0; // what the model was told is not needed; keep memory flat
        return model.handle(req);
      }
      if (url.host === "api.deepgram.com" && url.pathname === "/v1/listen") {
        const size = (await req.arrayBuffer()).byteLength;
        const transcript = STUB_TRANSCRIPTS[size % STUB_TRANSCRIPTS.length]!;
        return Response.json({
          metadata: { request_id: "fuzz" },
          results: { channels: [{ alternatives: [{ transcript, confidence: 0.9, words: [] }] }] },
        });
      }
      this.outbound.push(`${req.method} ${url.origin}${url.pathname}`);
      throw new TypeError("network access is disabled in the fuzz suite");
    });

    this.tenantId = uid("t_fuzz");
    this.keys.owner = await this.createKey(this.tenantId, [
      "calls:write",
      "calls:read",
      "voice",
      "agents:write",
      "admin",
    ]);
    this.keys.readOnly = await this.createKey(this.tenantId, ["calls:read"]);
    this.keys.voiceOnly = await this.createKey(this.tenantId, ["voice"]);
    this.keys.revoked = await this.createKey(this.tenantId, ["calls:write", "calls:read", "voice", "admin"]);
    this.keys.intruder = await this.createKey(uid("t_fuzz_other"), ["calls:write", "calls:read", "voice", "admin"]);
    const revokedId = /^ve_([A-Za-z0-9]+)_/.exec(this.keys.revoked)?.[1];
    await this.must("DELETE", `/api/v1/admin/keys/${revokedId}`, ADMIN_TOKEN, undefined, 204);

    // The model: a call with a few turns (text, keypad, speech) and an agent, recorded before the run.
    this.modelCall = uid("model");
    // Its object must not end by itself during a long run (the idle timeout is 300 s by default).
    await setCallBindings(this.tenantId, this.modelCall, { ...STUB_SETTINGS, CALL_IDLE_TIMEOUT_SECONDS: "86400" });
    await this.must("POST", "/api/v1/calls?reply=text", this.keys.owner, { callId: this.modelCall, context: { a: 1 } });
    const turns = [{ text: "what is my balance" }, { dtmf: "12#" }, { text: "billing question please" }];
    for (const t of turns)
      await this.must("POST", `/api/v1/calls/${this.modelCall}/turns?reply=text`, this.keys.owner, t);
    this.modelAgent = uid("model_agent");
    await this.must("PUT", `/api/v1/agents/${this.modelAgent}`, this.keys.owner, {
      name: "model",
      instructions: "Answer billing questions.",
      tools: [{ type: "end_call" }],
    });
    [this.modelBefore, this.modelObjectBefore, this.modelAgentBefore] = await this.modelSnapshot();
  }

  /** Puts fetch back and forgets the provider health the run taught this isolate (the suite shares it). */
  async tearDown(): Promise<void> {
    this.restoreFetch?.mockRestore();
    resetHealthForTests();
  }

  /** GET of the model call and agent (as clients see them) and the call's object state. */
  async modelSnapshot(): Promise<[string, string, string]> {
    const call = await this.send(this.plain("GET", `/api/v1/calls/${this.modelCall}`, "owner"));
    const agent = await this.send(this.plain("GET", `/api/v1/agents/${this.modelAgent}`, "owner"));
    if (call.status !== 200 || agent.status !== 200) throw new Error(`model unreadable: ${call.text} ${agent.text}`);
    // The recording route's answer too: its status and body, less the request id a problem carries.
    const recording = await this.send(this.plain("GET", `/api/v1/calls/${this.modelCall}/recording`, "owner"));
    const recordingText = recording.text.replace(/"requestId":"[^"]*"/, "");
    const object = JSON.stringify(await callObject(this.tenantId, this.modelCall).get());
    return [`${call.text}\n${recording.status} ${recordingText}`, object, agent.text];
  }

  /** Throws unless the model is byte-for-byte what it was before the run. */
  async assertModelUnchanged(): Promise<void> {
    const [call, object, agent] = await this.modelSnapshot();
    if (call !== this.modelBefore) throw new Error(`model call changed:\n${this.modelBefore}\n→\n${call}`);
    if (object !== this.modelObjectBefore) throw new Error(`model call's object changed`);
    if (agent !== this.modelAgentBefore) throw new Error(`model agent changed:\n${this.modelAgentBefore}\n→\n${agent}`);
  }

  statsFor(name: string): Stats {
    let s = this.stats.get(name);
    if (!s) this.stats.set(name, (s = new Stats()));
    return s;
  }

  /** A live call generated requests may change; a new one every 40 uses, or when the last one ended. */
  async scratch(): Promise<string> {
    if (!this.scratchId || this.scratchUses >= 40) {
      const callId = `scratch-${this.tenantId}-${++this.scratchCount}`;
      await setCallBindings(this.tenantId, callId, STUB_SETTINGS);
      // Every other scratch call is driven by an agent generated PUTs define (a flow or a model), when one exists.
      const agent = this.agents[this.scratchCount % (this.agents.length * 2)];
      const withAgent = agent
        ? await this.send(this.plain("POST", "/api/v1/calls?reply=text", "owner", { callId, agent }))
        : undefined;
      if (withAgent && withAgent.status >= 500)
        throw new Error(`${withAgent.status} creating a call with agent ${agent}: ${withAgent.text}`);
      if (withAgent?.status !== 201) await this.must("POST", "/api/v1/calls?reply=text", this.keys.owner, { callId });
      this.scratchId = callId;
      this.scratchUses = 0;
    }
    this.scratchUses++;
    return this.scratchId;
  }

  /** The scratch call may have ended (or been erased): the next case gets a new one. */
  retireScratch(): void {
    this.scratchId = "";
  }

  plain(method: string, path: string, auth: AuthKind, json?: unknown): FuzzRequest {
    return {
      method,
      path,
      auth,
      headers: json === undefined ? [] : [["Content-Type", "application/json"]],
      ...(json === undefined ? {} : { body: { text: JSON.stringify(json) } }),
    };
  }

  private async must(method: string, path: string, key: string, json?: unknown, status?: number): Promise<Sent> {
    const sent = await this.send(this.plain(method, path, { raw: `Bearer ${key}` }, json));
    if (status ? sent.status !== status : sent.status >= 300) {
      throw new Error(`set-up ${method} ${path} answered ${sent.status}: ${sent.text}`);
    }
    return sent;
  }

  private async createKey(tenantId: string, scopes: string[]): Promise<string> {
    const sent = await this.must("POST", "/api/v1/admin/keys", ADMIN_TOKEN, { tenantId, scopes });
    return (JSON.parse(sent.text) as { key: string }).key;
  }

  authHeader(auth: AuthKind): string | null {
    if (typeof auth === "object") return auth.raw;
    switch (auth) {
      case "none":
        return null;
      case "operator":
        return `Bearer ${ADMIN_TOKEN}`;
      default:
        return `Bearer ${this.keys[auth]}`;
    }
  }

  /** The path with its placeholders replaced (the scratch call is created when first named). */
  async resolve(path: string): Promise<string> {
    let out = path;
    if (out.includes("{scratch}")) out = out.replaceAll("{scratch}", await this.scratch());
    return this.resolveModel(out);
  }

  /** `{model}`, `{model%}` (every character percent-encoded), `{MODEL}` (upper case); the same for `modelAgent`. */
  resolveModel(text: string): string {
    let out = text;
    for (const [name, id] of [
      ["modelAgent", this.modelAgent],
      ["model", this.modelCall],
    ] as const) {
      const encoded = Array.from(
        new TextEncoder().encode(id),
        (b) => `%${b.toString(16).padStart(2, "0").toUpperCase()}`,
      );
      out = out
        .replaceAll(`{${name}}`, id)
        .replaceAll(`{${name}%}`, encoded.join(""))
        .replaceAll(`{${name.toUpperCase()}}`, id.toUpperCase());
    }
    return out;
  }

  /** Builds the Request; undefined with the reason when fetch() itself refuses it. */
  async build(r: FuzzRequest): Promise<{ request: Request; url: string } | { unsendable: string; url: string }> {
    const url = `${BASE}${await this.resolve(r.path)}${r.query === undefined ? "" : `?${r.query}`}`;
    try {
      const headers = new Headers();
      const auth = this.authHeader(r.auth);
      if (auth !== null) headers.set("Authorization", auth);
      for (const [k, v] of r.headers) headers.append(k, v);
      let body: BodyInit | undefined;
      if (r.body?.text !== undefined) body = this.resolveModel(r.body.text);
      else if (r.body?.bytes) body = r.body.bytes;
      else if (r.body?.form) {
        const form = new FormData();
        for (const f of r.body.form) {
          if (typeof f.value === "string") form.append(f.name, f.value);
          else form.append(f.name, new File([f.value.bytes], f.value.filename, { type: f.value.type }));
        }
        body = form;
      }
      const noBody = ["GET", "HEAD"].includes(r.method.toUpperCase());
      return { request: new Request(url, { method: r.method, headers, body: noBody ? undefined : body }), url };
    } catch (err) {
      return { unsendable: String(err), url };
    }
  }

  /** Sends one request through the Worker's fetch handler and reads the whole answer. */
  async send(r: FuzzRequest): Promise<Sent> {
    const built = await this.build(r);
    if ("unsendable" in built) {
      return {
        request: r,
        url: built.url,
        status: 0,
        contentType: null,
        text: "",
        webSocket: null,
        unsendable: built.unsendable,
      };
    }
    const ctx = createExecutionContext();
    const res = await withTimeout(worker.fetch(built.request, fuzzEnv, ctx), 60_000, () => describeRequest(r));
    const bytes = res.webSocket
      ? null
      : await withTimeout(res.arrayBuffer(), 60_000, () => `body of ${describeRequest(r)}`);
    const textual = /json|text|xml|event-stream/i.test(res.headers.get("Content-Type") ?? "");
    const text = bytes && textual ? new TextDecoder().decode(bytes) : "";
    await withTimeout(waitOnExecutionContext(ctx), 60_000, () => `waitUntil of ${describeRequest(r)}`);
    return {
      request: r,
      url: built.url,
      status: res.status,
      contentType: res.headers.get("Content-Type"),
      text,
      webSocket: res.webSocket,
    };
  }

  /**
   * Sends, counts and checks the invariants: no 5xx; every 4xx a problem+json whose `status` is the
   * response's, with `type`, `title`, `detail` and `code`. A WebSocket a generated request opened
   * is closed at once.
   */
  async check(stats: Stats, r: FuzzRequest, keepSocket = false): Promise<Sent> {
    const t0 = Date.now();
    const sent = await this.send(r);
    const route = `${r.method.toUpperCase()} ${r.path.replace(/\/(calls|agents|keys|stream)\/(?!\{)[^/?]+/, "/$1/:id")}`;
    const [n, ms] = stats.time.get(route) ?? [0, 0];
    stats.time.set(route, [n + 1, ms + Date.now() - t0]);
    if (sent.unsendable) {
      stats.unsendable++;
      bump(stats.unsendableWhy, sent.unsendable.slice(0, 80));
      return sent;
    }
    if (sent.webSocket && !keepSocket) {
      sent.webSocket.accept();
      sent.webSocket.close(1000, "fuzz");
    }
    const problem = sent.status >= 400 ? parseProblem(sent) : undefined;
    stats.count(sent.status, typeof problem === "object" ? problem.code : undefined);
    if (sent.status >= 500) throw new Error(`${sent.status} for ${describeRequest(r)} (${sent.url}): ${sent.text}`);
    if (sent.status >= 400 && typeof problem === "string" && r.method !== "HEAD") {
      throw new Error(
        `${sent.status} without a problem body (${problem}) for ${describeRequest(r)}: ${sent.text.slice(0, 300)}`,
      );
    }
    if (sent.contentType?.startsWith("text/event-stream")) {
      const fault = checkEventStream(sent.text);
      if (fault) throw new Error(`${fault} in the event stream answering ${describeRequest(r)}`);
    }
    return sent;
  }
}

/**
 * A turn's Server-Sent Events: every event's data is JSON, an `error` event carries problem details
 * with a status under 500, and the stream ends with `done` or `error`.
 */
export function checkEventStream(text: string): string | undefined {
  const events = text.split("\n\n").filter((e) => e.trim() !== "");
  let last = "";
  for (const e of events) {
    const name = /^event: (.*)$/m.exec(e)?.[1] ?? "message";
    const data = /^data: (.*)$/m.exec(e)?.[1];
    let parsed: unknown;
    try {
      parsed = JSON.parse(data ?? "");
    } catch {
      return `a ${name} event whose data is not JSON`;
    }
    if (name === "error") {
      const p = problemShape(parsed);
      if (typeof p === "string") return `an error event with ${p}`;
      if (p.status >= 500) return `an error event with status ${p.status} (${p.code})`;
    }
    last = name;
  }
  return last === "done" || last === "error" ? undefined : `no closing done or error event (last: ${last || "none"})`;
}

/** The problem body, or what is wrong with it. */
export function parseProblem(sent: Pick<Sent, "status" | "contentType" | "text">): Problem | string {
  const essence = sent.contentType?.split(";")[0]?.trim().toLowerCase();
  if (essence !== "application/problem+json") return `Content-Type ${sent.contentType}`;
  let body: unknown;
  try {
    body = JSON.parse(sent.text);
  } catch {
    return "a body that is not JSON";
  }
  return problemShape(body, sent.status);
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

/** `body` as problem details with this status, or what is wrong with it. */
export function problemShape(body: unknown, status?: number): Problem | string {
  if (typeof body !== "object" || body === null) return "a body that is not an object";
  const p = body as Record<string, unknown>;
  for (const k of ["type", "title", "detail", "code"]) {
    if (typeof p[k] !== "string" || (p[k] as string).length === 0) return `no ${k}`;
  }
  if (typeof p.status !== "number") return "no status";
  if (status !== undefined && p.status !== status) return `status ${p.status} in a ${status} response`;
  return p as unknown as Problem;
}

export function describeRequest(r: FuzzRequest): string {
  const field = (f: NonNullable<Body["form"]>[number]) =>
    typeof f.value === "string"
      ? `${f.name}=${JSON.stringify(f.value.slice(0, 40))}`
      : `${f.name}:file(${f.value.type},${f.value.bytes.length})`;
  const body = r.body?.text
    ? ` text(${r.body.text.length}) ${JSON.stringify(r.body.text.slice(0, 200))}`
    : r.body?.bytes
      ? ` bytes(${r.body.bytes.length}) ${hex(r.body.bytes.subarray(0, 64))}`
      : r.body?.form
        ? ` form(${r.body.form.map(field).join(", ")})`
        : "";
  const auth = typeof r.auth === "object" ? `raw:${JSON.stringify(r.auth.raw.slice(0, 60))}` : r.auth;
  const headers = r.headers.map(([k, v]) => `${k}: ${JSON.stringify(v.slice(0, 80))}`).join("; ");
  const query = r.query === undefined ? "" : `?${r.query.slice(0, 300)}`;
  return `${r.method} ${r.path}${query} [${auth}] {${headers}}${body}`;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A FuzzRequest that fast-check prints compactly in a counterexample. */
export function printable<T extends FuzzRequest>(r: T): T {
  return Object.assign(r, { [fc.toStringMethod]: () => describeRequest(r) });
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** fast-check's parameters for one property: every property of a run takes its seed, printed in the summary. */
export function params(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, seed: SEED, endOnFailure: false };
}

function list<K>(m: Map<K, number>, order: (a: [K, number], b: [K, number]) => number, sep = " "): string {
  return [...m.entries()]
    .sort(order)
    .map(([k, v]) => `${String(k)}${sep}${v}`)
    .join(", ");
}
const byKey = <K>(a: [K, number], b: [K, number]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const byCount = <K>(a: [K, number], b: [K, number]) => b[1] - a[1];

/** The summary `npm run fuzz` prints. */
export function summary(world: FuzzWorld, ms: number): string {
  const lines: string[] = [];
  const total = new Stats();
  const add = <K>(into: Map<K, number>, from: Map<K, number>) => {
    for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
  };
  for (const [name, s] of world.stats) {
    const ws = s.wsCloses.size ? `; closes ${list(s.wsCloses, byKey, "×")}` : "";
    const seconds = (s.ms / 1000).toFixed(1);
    const slowest = [...s.time.entries()].sort((a, b) => b[1][1] - a[1][1]).slice(0, 2);
    const slow = slowest.map(([route, [n, t]]) => `${route} ${n}× ${Math.round(t / n)} ms`).join(", ");
    lines.push(
      `[fuzz]   ${name.padEnd(8)} ${String(s.cases).padStart(6)} cases, ${s.requests} requests ` +
        `(${list(s.byClass, byKey)})${ws}, ${seconds} s; slowest: ${slow}`,
    );
    total.cases += s.cases;
    total.requests += s.requests;
    total.fiveXX += s.fiveXX;
    total.unsendable += s.unsendable;
    add(total.byClass, s.byClass);
    add(total.codes, s.codes);
    add(total.wsErrors, s.wsErrors);
    add(total.unsendableWhy, s.unsendableWhy);
  }
  return [
    `[fuzz] ${total.cases} cases, ${total.requests} requests in ${(ms / 1000).toFixed(1)} s ` +
      `(FUZZ_SEED=${SEED} replays it)`,
    `[fuzz] by status class: ${list(total.byClass, byKey)}`,
    `[fuzz] 5xx: ${total.fiveXX}; outbound requests: ${world.outbound.length}; ` +
      `unsendable (refused by fetch itself): ${total.unsendable}`,
    `[fuzz] problem codes: ${list(total.codes, byCount)}`,
    `[fuzz] stream error codes: ${list(total.wsErrors, byCount)}`,
    ...[...total.unsendableWhy.entries()].map(([why, n]) => `[fuzz] unsendable ${n}× ${why}`),
    ...lines,
  ].join("\n");
}
