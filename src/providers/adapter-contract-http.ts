/**
 * The adapter contract's server for providers reached over HTTP (test-only). The adapter's outbound
 * fetch is the global one, which the registry's adapters use, stubbed with the outbound doubles of
 * test/helpers/outbound.ts; the provider's fixture only says how its API words each answer.
 */
import { vi } from "vitest";
import { fakeFetch, hangingFetch, type RecordedRequest } from "../../test/helpers/outbound";
import {
  FAILURES,
  RETRY_AFTER_S,
  type ContractFixture,
  type Failure,
  type Server,
  type Wire,
} from "./adapter-contract";

export interface HttpFixture extends Omit<ContractFixture, "connect"> {
  /** The vars and secrets the module reads (the timeout variable is set by the contract). */
  vars(): Record<string, string> | Promise<Record<string, string>>;
  /**
   * The provider's answer to `failure`, with `message` where its API puts the error text and
   * `headers` (Retry-After on a rate limit, when the fixture says the provider sends one).
   */
  fail(failure: Failure, message: string, headers: Record<string, string>): Response;
  /** A 2xx answer the adapter cannot use (an HTML page, say), quoting `message`. */
  unusable(message: string): Response;
  /** Answers a call that is not the one under test (an OAuth token request), or undefined for that one. */
  aside?(url: URL): Response | undefined;
}

/**
 * Header names that carry credentials. They are quoted first, shortest value first, so that a
 * provider's cutting of a long error text short does not hide them from the check.
 */
const CREDENTIAL_HEADER = /authorization|key|token|secret|credential|signature/i;
const TEXT_BODY = /json|xml|ssml|x-www-form-urlencoded|^text\//i;

/**
 * The request as an echoing server would quote it, on one line: headers (credential-bearing ones
 * first), method and URL, and the body when it is text (audio bodies are left out).
 */
export function echoOf(req: RecordedRequest): string {
  const rank = ([name, value]: [string, string]) => (CREDENTIAL_HEADER.test(name) ? value.length : Infinity);
  const headers = [...req.headers].sort((a, b) => rank(a) - rank(b) || a[0].localeCompare(b[0]));
  const body = TEXT_BODY.test(req.headers.get("Content-Type") ?? "") ? req.text().slice(0, 300) : "(binary)";
  const line = `${headers.map(([k, v]) => `${k}: ${v}`).join(", ")}; ${req.method} ${req.url}; body: ${body}`;
  return line.replace(/\s*[\r\n]+\s*/g, " ");
}

/** A 200 HTML page quoting `message`, as a captive portal or a misrouted proxy answers in the provider's place. */
export function proxyPage(message: string): Response {
  return new Response(`<html><body>${message}</body></html>`, {
    status: 200,
    headers: { "Content-Type": "text/html" },
  });
}

export function httpFixture(spec: HttpFixture): ContractFixture {
  return { ...spec, connect: (server) => connect(spec, server) };
}

async function connect(spec: HttpFixture, server: Server): Promise<Wire> {
  const wire: Wire = { vars: await spec.vars(), echoes: [], signals: [] };
  const answer = (req: RecordedRequest): Response => {
    const echo = echoOf(req);
    wire.echoes.push(echo);
    const res = respond(spec, server, `the request was: ${echo}`);
    wire.status = res.status;
    return res;
  };
  const { fetcher: answering } = fakeFetch(answer);
  const hanging = hangingFetch();
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    // The SDK-based adapters hand fetch a Request that carries the signal; the others pass it in init.
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const request = new Request(input, init);
    const aside = spec.aside?.(new URL(request.url));
    if (aside) return aside;
    wire.signals.push(signal ?? undefined);
    if (server.kind === "hang") {
      wire.echoes.push("(no answer)");
      return hanging(request.url, { signal: signal ?? null });
    }
    if (server.kind === "disconnect") {
      wire.echoes.push("(disconnected)");
      throw new TypeError("Network connection lost.");
    }
    return answering(request);
  }) as typeof fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(fetcher);
  return wire;
}

function respond(spec: HttpFixture, server: Server, message: string): Response {
  switch (server.kind) {
    case "fail": {
      const headers: Record<string, string> =
        server.failure === "rate_limited" && spec.sendsRetryAfter ? { "Retry-After": String(RETRY_AFTER_S) } : {};
      return spec.fail(server.failure, `${FAILURES[server.failure].says}; ${message}`, headers);
    }
    case "empty":
      return new Response(null, { status: 200 });
    case "unusable":
      return spec.unusable(message);
    default:
      throw new Error(`no answer for a ${server.kind} server`);
  }
}
