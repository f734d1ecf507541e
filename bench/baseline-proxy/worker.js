/* global URL, Response, FormData, File, fetch */
// The bare pass-through Worker of bench:gateway (bench/gateway.mjs): what a request through a
// Worker to a speech provider costs on the local runtime with no work of ours. The same two routes
// as voice-edge, each one outbound fetch to the provider stub's OpenAI endpoints (OPENAI_BASE_URL,
// from the bench's env file) and its answer returned as is. No auth, no validation, no logging.
//   POST /api/v1/voice/transcribe   the raw audio body -> the multipart upload the stub expects
//                                   (file, model, response_format) -> POST /v1/audio/transcriptions
//   POST /api/v1/voice/synthesize   {"text"} -> {model, input, voice, response_format: "pcm"} -> POST /v1/audio/speech
//   GET  /healthz                   200
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return Response.json({ ok: true });
    if (request.method !== "POST") return Response.json({ error: "not_found" }, { status: 404 });
    const base = env.OPENAI_BASE_URL;
    if (url.pathname === "/api/v1/voice/transcribe") {
      const form = new FormData();
      form.append(
        "file",
        new File([await request.arrayBuffer()], "audio.wav", {
          type: request.headers.get("content-type") || "audio/wav",
        }),
      );
      form.append("model", "whisper-1");
      form.append("response_format", "json");
      const upstream = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: form });
      return new Response(upstream.body, {
        status: upstream.status,
        headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
      });
    }
    if (url.pathname === "/api/v1/voice/synthesize") {
      const { text } = await request.json();
      const upstream = await fetch(`${base}/v1/audio/speech`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "tts-1", input: String(text ?? ""), voice: "alloy", response_format: "pcm" }),
      });
      return new Response(upstream.body, {
        status: upstream.status,
        headers: { "content-type": upstream.headers.get("content-type") ?? "audio/pcm" },
      });
    }
    return Response.json({ error: "not_found" }, { status: 404 });
  },
};
