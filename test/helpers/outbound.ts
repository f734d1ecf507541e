/**
 * An outbound-request double for provider adapter tests: adapters take a `fetcher`, and this one
 * records every request exactly as it would go on the wire (method, URL, headers, body bytes) and
 * answers with the response the test scripted, e.g. one recorded from the provider's docs.
 */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array;
  text(): string;
  json<T = unknown>(): T;
}

export type Responder = (req: RecordedRequest, index: number) => Response | Promise<Response>;

export function fakeFetch(responder: Responder | Response | (Response | Responder)[]) {
  const requests: RecordedRequest[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (request.signal?.aborted) throw new DOMException("The operation was aborted.", "AbortError");
    const body = new Uint8Array(await request.arrayBuffer());
    const recorded: RecordedRequest = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body,
      text: () => new TextDecoder().decode(body),
      json: <T>() => JSON.parse(new TextDecoder().decode(body)) as T,
    };
    const index = requests.length;
    requests.push(recorded);
    const step = Array.isArray(responder) ? responder[Math.min(index, responder.length - 1)] : responder;
    if (!step) throw new Error("fakeFetch: no response scripted");
    const res = typeof step === "function" ? await step(recorded, index) : step.clone();
    return res;
  }) as typeof fetch;
  return { fetcher, requests };
}

/** A fetcher that never answers until aborted, to test timeouts and client aborts. */
export function hangingFetch(): typeof fetch {
  return ((_input: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () =>
        reject(init.signal?.reason ?? new DOMException("aborted", "AbortError")),
      );
    })) as typeof fetch;
}

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
