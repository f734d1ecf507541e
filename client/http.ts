/**
 * Typed HTTP client for voice-edge's /api/v1. Every path, parameter and body is typed by
 * client/api-types.ts, which openapi-typescript generates from client/openapi.json (the Worker's
 * /openapi.json; `npm run client:generate` refreshes both).
 *
 *   const ve = createVoiceEdgeClient({ baseUrl: "https://voice.example.com", apiKey });
 *   const { callId } = await ve.createCall({ language: "en-US" }, { reply: "text" });
 *   const turn = await ve.textTurn(callId, "I need to reschedule");
 *   // any route, fully typed, as openapi-fetch answers ({ data } | { error }, never throws on 4xx/5xx):
 *   const { data, error } = await ve.GET("/api/v1/calls", { params: { query: { status: "active" } } });
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./api-types";
import { VoiceEdgeError } from "./errors";
import type { StreamToken } from "./stream";

export { VoiceEdgeError, type Problem } from "./errors";
export type { components, paths } from "./api-types";

type Json<Response> = Response extends { content: { "application/json": infer T } } ? T : never;
type CallsPath = paths["/api/v1/calls"];
type CallPath = paths["/api/v1/calls/{callId}"];
type TurnsPath = paths["/api/v1/calls/{callId}/turns"];

/** Body of POST /api/v1/calls. */
export type CreateCallBody = NonNullable<CallsPath["post"]["requestBody"]>["content"]["application/json"];
/** 201 answer of POST /api/v1/calls. */
export type CallCreated = Json<CallsPath["post"]["responses"][201]>;
/** `reply`, `format`, `sampleRate` query of the call and turn routes. */
export type ReplyQuery = NonNullable<TurnsPath["post"]["parameters"]["query"]>;
/** 200 answer of POST /api/v1/calls/{callId}/turns. */
export type TurnResult = Json<TurnsPath["post"]["responses"][200]>;
/** 200 answer of GET /api/v1/calls/{callId}. */
export type Call = Json<CallPath["get"]["responses"][200]>;
export type HistoryEntry = Call["history"][number];
/** 200 answer of POST /api/v1/calls/{callId}/end. */
export type CallEnded = Json<paths["/api/v1/calls/{callId}/end"]["post"]["responses"][200]>;
export type Schemas = components["schemas"];

export interface VoiceEdgeClientOptions {
  /** Origin (and optional path prefix) of the Worker, e.g. "https://voice.example.com". */
  baseUrl: string;
  /** Tenant API key, sent as `Authorization: Bearer <apiKey>` on every request. */
  apiKey: string;
  /** A fetch to use instead of globalThis.fetch (tests, service bindings, instrumentation). */
  fetch?: (request: Request) => Promise<Response>;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

export interface TurnOptions extends ReplyQuery {
  /** A retried request with the same key returns the first answer and adds no second turn. */
  idempotencyKey?: string;
}

/** The convenience wrappers: they return the 2xx body and throw VoiceEdgeError for any other answer. */
export interface VoiceEdgeHelpers {
  createCall(body?: CreateCallBody, query?: ReplyQuery): Promise<CallCreated>;
  textTurn(callId: string, text: string, options?: TurnOptions): Promise<TurnResult>;
  dtmfTurn(callId: string, digits: string, options?: TurnOptions): Promise<TurnResult>;
  getCall(callId: string): Promise<Call>;
  getHistory(callId: string): Promise<HistoryEntry[]>;
  endCall(callId: string): Promise<CallEnded>;
  /** A single-use token for `openCallStream({ token })` (browsers cannot set headers on a WebSocket). */
  createStreamToken(callId: string): Promise<StreamToken>;
}

/** openapi-fetch's typed client (GET/POST/PATCH/DELETE/use/eject) plus the helpers. */
export type VoiceEdgeClient = Client<paths> & VoiceEdgeHelpers;

/** The 2xx body of an openapi-fetch answer, or the answer's problem as a VoiceEdgeError. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  throw VoiceEdgeError.fromResponse(result.response, result.error);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

export function createVoiceEdgeClient(options: VoiceEdgeClientOptions): VoiceEdgeClient {
  const baseUrl = trimSlash(options.baseUrl);
  const doFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const client = createClient<paths>({
    baseUrl,
    fetch: doFetch,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${options.apiKey}`);
      return request;
    },
  };
  client.use(auth);

  const turn = async (
    callId: string,
    body: { text: string } | { dtmf: string },
    { idempotencyKey, ...query }: TurnOptions = {},
  ): Promise<TurnResult> =>
    // Sent without `Accept: text/event-stream`, the answer is the JSON result (the SSE form is a string).
    ok(
      await client.POST("/api/v1/calls/{callId}/turns", {
        params: {
          path: { callId },
          query,
          ...(idempotencyKey ? { header: { "idempotency-key": idempotencyKey } } : {}),
        },
        body,
      }),
    ) as TurnResult;
  const getCall = async (callId: string) =>
    ok(await client.GET("/api/v1/calls/{callId}", { params: { path: { callId } } }));

  const helpers: VoiceEdgeHelpers = {
    createCall: async (body = {}, query = {}) => ok(await client.POST("/api/v1/calls", { params: { query }, body })),
    textTurn: (callId, text, turnOptions) => turn(callId, { text }, turnOptions),
    dtmfTurn: (callId, digits, turnOptions) => turn(callId, { dtmf: digits }, turnOptions),
    getCall,
    getHistory: async (callId) => (await getCall(callId)).history,
    endCall: async (callId) => ok(await client.POST("/api/v1/calls/{callId}/end", { params: { path: { callId } } })),
    createStreamToken: async (callId) =>
      ok(await client.POST("/api/v1/calls/{callId}/stream-token", { params: { path: { callId } } })),
  };
  return Object.assign(client, helpers);
}
