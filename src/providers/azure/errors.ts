/**
 * Azure Speech answers most failures with the status and an empty body, so a log line would read
 * only "HTTP 401". This fetch wrapper fills an empty error body with the reason the REST reference
 * documents for that status, before providerFetch classifies the status and quotes the body.
 * Statuses: https://learn.microsoft.com/azure/ai-services/speech-service/rest-speech-to-text-short#http-status-codes
 * and https://learn.microsoft.com/azure/ai-services/speech-service/rest-text-to-speech#http-status-codes-1
 */
const DOCUMENTED_REASONS: Record<number, string> = {
  400: "bad request (per Azure: language missing or unsupported, invalid audio, or an invalid parameter or SSML)",
  401: "unauthorized (per Azure: the key is invalid for this region; check AZURE_SPEECH_KEY and AZURE_SPEECH_REGION)",
  403: "forbidden (per Azure: the key is missing or not allowed for this resource)",
  415: "unsupported media type (per Azure: the Content-Type does not match an accepted audio or SSML type)",
  429: "too many requests (per Azure: the resource's quota or request rate was exceeded)",
  502: "bad gateway (per Azure: a network or server-side problem)",
  503: "service unavailable (per Azure: a server-side problem)",
};

export function withAzureErrorDetail(fetcher: typeof fetch = fetch): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await fetcher(input, init);
    if (res.ok) return res;
    const body = await res.text().catch(() => "");
    const detail = body.trim() || DOCUMENTED_REASONS[res.status] || "";
    // Keep Retry-After and the rest; drop the headers that described the old body.
    const headers = new Headers(res.headers);
    for (const name of ["content-length", "content-encoding", "content-type"]) headers.delete(name);
    return new Response(detail, { status: res.status, statusText: res.statusText, headers });
  }) as typeof fetch;
}
