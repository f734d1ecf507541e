/**
 * Deepgram errors carry a JSON body, documented in two shapes
 * (https://developers.deepgram.com/reference/errors):
 *   { "err_code": "Bad Request", "err_msg": "...", "request_id": "uuid" }
 *   { "category": "INVALID_JSON", "message": "...", "details": "...", "request_id": "uuid" }
 * This fetch wrapper rewrites such a body into one readable line (the message first, then the code
 * and the request id support asks for) before providerFetch classifies the status and quotes it.
 */
import { z } from "zod";

const errMsgShape = z.object({
  err_msg: z.string(),
  err_code: z.string().optional(),
  request_id: z.string().optional(),
});
const categoryShape = z.object({
  message: z.string(),
  category: z.string().optional(),
  details: z.string().optional(),
  request_id: z.string().optional(),
});

export function describeDeepgramError(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body.trim();
  }
  const a = errMsgShape.safeParse(json);
  if (a.success) return line(a.data.err_msg, a.data.err_code, a.data.request_id);
  const b = categoryShape.safeParse(json);
  if (b.success)
    return line(
      b.data.details ? `${b.data.message} ${b.data.details}` : b.data.message,
      b.data.category,
      b.data.request_id,
    );
  return body.trim();
}

function line(message: string, code: string | undefined, requestId: string | undefined): string {
  const extra = [code && `err_code ${code}`, requestId && `request_id ${requestId}`].filter(Boolean).join(", ");
  return extra ? `${message} (${extra})` : message;
}

export function withDeepgramErrorDetail(fetcher: typeof fetch = fetch): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await fetcher(input, init);
    if (res.ok) return res;
    const detail = describeDeepgramError(await res.text().catch(() => ""));
    // Keep Retry-After and the rest; drop the headers that described the old body.
    const headers = new Headers(res.headers);
    for (const name of ["content-length", "content-encoding", "content-type"]) headers.delete(name);
    return new Response(detail, { status: res.status, statusText: res.statusText, headers });
  }) as typeof fetch;
}
