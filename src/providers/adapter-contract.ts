/**
 * The contract every cloud STT and TTS adapter keeps, run over each of them by contract.test.ts the
 * way one cache-adapter suite is run over every cache. Test-only: nothing in the Worker imports it.
 *
 * The cases are the same for every adapter; each provider's test-support.ts says how its real API
 * answers them (its status codes, error bodies and 2xx answers, or its binding's thrown errors),
 * and the adapter is built by its module's own factory from settings parsed out of vars, as the
 * registry builds it. Per adapter it checks:
 * - timeouts: with a server that never answers, the call rejects promptly once the caller's
 *   AbortSignal aborts (and the upstream call is aborted too), and rejects as retryable after the
 *   adapter's own timeout when nobody aborts;
 * - classification: rate limits, 5xx and network failures are "retryable" (with retryAfterMs when
 *   the provider sent Retry-After), refused requests "permanent", refused credentials "auth", and
 *   a 2xx answer the adapter cannot use "invalid_response", each as a ProviderError of the provider;
 * - secrets: every server answer quotes the request back (headers, URL, text body), and no
 *   credential from the settings, nor a 12-character piece of one, appears in the error's message,
 *   String(err), JSON.stringify(err) or the same of its causes.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ProviderErrorKind } from "../call/attempts";
import { ProviderError } from "./errors";
import { readSettings, type ProviderModule } from "./settings";
import type { SttInput, TtsRequest } from "./types";

/** The failures each adapter is put through, by what the provider means; the fixture picks the wire form. */
export const FAILURES = {
  rate_limited: { status: 429, kind: "retryable", says: "rate limited (429)" },
  server_error: { status: 500, kind: "retryable", says: "a server error (500)" },
  unavailable: { status: 503, kind: "retryable", says: "unavailable (503)" },
  bad_request: { status: 400, kind: "permanent", says: "a refused request (400)" },
  not_found: { status: 404, kind: "permanent", says: "not found (404)" },
  unprocessable: { status: 422, kind: "permanent", says: "unprocessable content (422 class)" },
  unauthenticated: { status: 401, kind: "auth", says: "refused credentials (401)" },
  forbidden: { status: 403, kind: "auth", says: "forbidden (403)" },
} as const satisfies Record<string, { status: number; kind: ProviderErrorKind; says: string }>;

export type Failure = keyof typeof FAILURES;

/** The Retry-After, in seconds, that a provider which sends one puts on its rate-limit answer. */
export const RETRY_AFTER_S = 7;

/** What the provider's side does with the adapter's call in one case. */
export type Server =
  | { kind: "hang" } // never answers; lets go only when the call's signal aborts
  | { kind: "disconnect" } // the connection fails before any answer
  | { kind: "fail"; failure: Failure }
  | { kind: "empty" } // a 2xx answer with nothing in it
  | { kind: "unusable" }; // a 2xx answer that is not what was asked for, quoting the request

/** A server put on the adapter's wire for one case, and what it saw. */
export interface Wire {
  /** The vars, secrets and bindings the module reads its settings from. */
  vars: Record<string, unknown>;
  /** Each call that reached the server: as an echoing server quotes it back, or a placeholder if unanswered. */
  echoes: string[];
  /** The signal each of those calls was made with: a caller's abort must reach them. */
  signals: (AbortSignal | undefined)[];
  /** The HTTP status the server answered with, for a server that speaks HTTP. */
  status?: number;
}

export interface ContractFixture {
  /** Which configuration of the provider this is, e.g. "API key" or "service account". */
  label: string;
  /** The variable that holds the adapter's timeout in milliseconds, e.g. AZURE_TIMEOUT_MS. */
  timeoutVar: string;
  /** Credentials in the vars that must never appear in an error. Empty only with `noSecrets`. */
  secrets: readonly string[];
  /** Why this configuration has no credentials to leak. */
  noSecrets?: string;
  /** Whether the provider's rate-limit answer carries Retry-After (RETRY_AFTER_S), so retryAfterMs is checked. */
  sendsRetryAfter: boolean;
  /** Failures this provider has no answer for, and why: reported as skipped cases. */
  cannot?: Partial<Record<Failure, string>>;
  /** Puts `server` on the adapter's wire (stubbing what the adapter calls) and returns what it reads. */
  connect(server: Server): Promise<Wire>;
}

const STT_INPUT: SttInput = { kind: "pcm", samples: new Int16Array(1600), sampleRate: 16000, language: "en-US" };
const TTS_REQUEST: TtsRequest = { text: "Your balance is one hundred dollars.", language: "en-US", sampleRate: 16000 };

/** How long "promptly" is: far longer than any adapter needs, far shorter than the 10 s timeout it must not reach. */
const PROMPT_MS = 1000;
/** The adapter's own timeout in the timeout case (the settings' minimum). */
const SHORT_TIMEOUT_MS = 100;
/** Secrets longer than this must not show even in part (a secret cut off by truncation still leaks). */
const PIECE = 12;

type Call = (vars: Record<string, unknown>, signal?: AbortSignal) => Promise<unknown>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = ProviderModule<any>;

export function sttContract(module: AnyModule, fixture: ContractFixture): void {
  const make = module.stt;
  if (!make) throw new Error(`${module.name} has no speech-to-text adapter`);
  adapterContract(`${module.name} STT (${fixture.label})`, module.name, fixture, (vars, signal) => {
    const env = vars as unknown as Env;
    return make(readSettings(module, env), env).transcribe(STT_INPUT, signal);
  });
}

export function ttsContract(module: AnyModule, fixture: ContractFixture): void {
  const make = module.tts;
  if (!make) throw new Error(`${module.name} has no text-to-speech adapter`);
  adapterContract(`${module.name} TTS (${fixture.label})`, module.name, fixture, (vars, signal) => {
    const env = vars as unknown as Env;
    return make(readSettings(module, env), env).synthesize(TTS_REQUEST, signal);
  });
}

function adapterContract(title: string, provider: string, fixture: ContractFixture, call: Call): void {
  describe(`${title}: the adapter contract`, () => {
    afterEach(() => vi.restoreAllMocks());

    const connect = async (server: Server, timeoutMs: number) => {
      const wire = await fixture.connect(server);
      return { wire, vars: { ...wire.vars, [fixture.timeoutVar]: String(timeoutMs) } };
    };

    /** The call's error, after checking it is the provider's ProviderError and shows no credential. */
    const failure = async (pending: Promise<unknown>, wire: Wire, within: number): Promise<ProviderError> => {
      const err = await settleWithin(pending, within);
      expect(err, "the call should have failed").toBeInstanceOf(ProviderError);
      expect((err as ProviderError).provider).toBe(provider);
      expect(wire.echoes.length, "the call should have reached the server").toBeGreaterThan(0);
      expectNoSecrets(err, fixture.secrets);
      return err as ProviderError;
    };

    it("rejects promptly, aborting its upstream call, once the caller's signal aborts while unanswered", async () => {
      const { wire, vars } = await connect({ kind: "hang" }, 10_000);
      const client = new AbortController();
      const pending = call(vars, client.signal);
      pending.catch(() => {});
      await until(() => wire.signals.length > 0, "the adapter never called its server");
      client.abort();
      const err = await failure(pending, wire, PROMPT_MS);
      expect(err.kind).toBe("permanent"); // the caller left: nothing to retry
      expect(wire.signals.map((s) => s?.aborted)).toEqual(wire.signals.map(() => true));
    });

    it("gives up after its own timeout, as retryable, when the server never answers", async () => {
      const { wire, vars } = await connect({ kind: "hang" }, SHORT_TIMEOUT_MS);
      const err = await failure(call(vars), wire, SHORT_TIMEOUT_MS + PROMPT_MS);
      expect(err.kind).toBe("retryable");
    });

    it("classifies a network failure as retryable", async () => {
      const { wire, vars } = await connect({ kind: "disconnect" }, 10_000);
      expect((await failure(call(vars), wire, PROMPT_MS)).kind).toBe("retryable");
    });

    for (const [name, expected] of Object.entries(FAILURES) as [Failure, (typeof FAILURES)[Failure]][]) {
      const cannot = fixture.cannot?.[name];
      if (cannot) {
        it.skip(`classifies ${expected.says}: the provider has none (${cannot})`, () => {});
        continue;
      }
      it(`classifies ${expected.says} as ${expected.kind}, quoting no credential the server echoed`, async () => {
        const { wire, vars } = await connect({ kind: "fail", failure: name }, 10_000);
        const err = await failure(call(vars), wire, PROMPT_MS);
        expect(err.kind).toBe(expected.kind);
        if (wire.status !== undefined) expect(err.options.status).toBe(wire.status);
        if (name === "rate_limited" && fixture.sendsRetryAfter)
          expect(err.options.retryAfterMs).toBe(RETRY_AFTER_S * 1000);
        expectEchoed(wire, fixture.secrets);
      });
    }

    it("classifies an empty 2xx answer as invalid_response", async () => {
      const { wire, vars } = await connect({ kind: "empty" }, 10_000);
      expect((await failure(call(vars), wire, PROMPT_MS)).kind).toBe("invalid_response");
    });

    it("classifies a 2xx answer it cannot use as invalid_response, quoting no credential echoed", async () => {
      const { wire, vars } = await connect({ kind: "unusable" }, 10_000);
      expect((await failure(call(vars), wire, PROMPT_MS)).kind).toBe("invalid_response");
      expectEchoed(wire, fixture.secrets);
    });

    it("declares the credentials it must keep out of errors", () => {
      expect(fixture.secrets.length > 0 || Boolean(fixture.noSecrets)).toBe(true);
    });
  });
}

/** What a log line or a client could be shown of an error: message, String(), JSON and stack, causes included. */
export function renderings(err: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e);) {
    seen.add(e);
    out.push(String(e));
    if (e instanceof Error) out.push(e.message, e.stack ?? "");
    try {
      out.push(JSON.stringify(e) ?? "");
    } catch {
      // A circular value: its String() is above.
    }
    e = e instanceof ProviderError ? (e.cause ?? e.options.cause) : e instanceof Error ? e.cause : undefined;
  }
  return out;
}

/** The secret, or the first PIECE-long piece of it, that `text` contains. */
export function leakedPiece(text: string, secret: string): string | undefined {
  if (secret.length <= PIECE) return text.includes(secret) ? secret : undefined;
  for (let i = 0; i + PIECE <= secret.length; i++) {
    const piece = secret.slice(i, i + PIECE);
    if (text.includes(piece)) return piece;
  }
  return undefined;
}

function expectNoSecrets(err: unknown, secrets: readonly string[]): void {
  for (const text of renderings(err))
    for (const secret of secrets)
      expect(leakedPiece(text, secret), `a credential shows in the error: ${text.slice(0, 300)}`).toBeUndefined();
}

/** The server really quoted a credential back, so the check above had something to catch. */
function expectEchoed(wire: Wire, secrets: readonly string[]): void {
  if (secrets.length === 0) return;
  const echoed = secrets.filter((s) => wire.echoes.some((e) => e.includes(s)));
  expect(echoed.length, "the server should have echoed a credential the adapter sent").toBeGreaterThan(0);
}

const HUNG = Symbol("hung");

/** The promise's rejection (or resolution value), failing the test if it is still pending after `ms`. */
async function settleWithin(pending: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const hung = new Promise<typeof HUNG>((resolve) => (timer = setTimeout(() => resolve(HUNG), ms)));
  const outcome = await Promise.race([
    pending.then(
      (value) => value,
      (err: unknown) => err,
    ),
    hung,
  ]);
  clearTimeout(timer);
  expect(outcome === HUNG ? `still pending after ${ms} ms` : "settled").toBe("settled");
  return outcome;
}

async function until(condition: () => boolean, message: string, ms = PROMPT_MS): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited >= ms) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
