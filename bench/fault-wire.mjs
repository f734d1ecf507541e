// The two speech-to-text wire formats bench/fault-provider.mjs serves, answers and errors alike, as
// the real services send them, so the worker's adapters parse exactly what they would in production:
//   openai    POST /v1/audio/transcriptions (multipart/form-data) -> {"text": "..."}
//             errors {"error": {"message", "type", "code"}}
//             (https://platform.openai.com/docs/api-reference/audio/createTranscription)
//   deepgram  POST /v1/listen?model=...&smart_format=true&language=... with the audio as the body
//             -> {"metadata": {...}, "results": {"channels": [{"alternatives": [{transcript, confidence, words}]}]}}
//             errors {"err_code", "err_msg", "request_id"}; Deepgram self-hosted serves the same API
//             (https://developers.deepgram.com/reference/speech-to-text/listen-pre-recorded,
//             https://developers.deepgram.com/reference/errors)
import { createHash, randomUUID } from "node:crypto";

export const TRANSCRIPT = "i would like to check my account balance please";
/** What smart_format=true makes of it: capitalised and punctuated. */
const FORMATTED = "I would like to check my account balance please.";

/** The wire format a request path belongs to, or null for any other path. */
export function wireOf(method, path) {
  if (method !== "POST") return null;
  if (path === "/v1/audio/transcriptions") return "openai";
  if (path === "/v1/listen") return "deepgram";
  return null;
}

/**
 * Why the request is not what the adapter should send, or null. A 400 answers it: the adapter broke, not the server.
 */
export function badRequest(wire, url, headers) {
  const type = headers["content-type"] ?? "";
  if (wire === "openai") return type.startsWith("multipart/form-data") ? null : "expected a multipart/form-data upload";
  if (!url.searchParams.get("model")) return "expected the model query parameter";
  if (!(type.startsWith("audio/") || type.startsWith("video/")))
    return "expected the audio as the body, with its media type";
  return null;
}

const openAiError = (message, type, code) => JSON.stringify({ error: { message, type, ...(code ? { code } : {}) } });
const deepgramError = (code, message) => JSON.stringify({ err_code: code, err_msg: message, request_id: randomUUID() });

/** The status-and-body of each failure, per wire format. */
export function errorBody(wire, kind, detail) {
  if (wire === "openai") {
    if (kind === 400) return openAiError(detail, "invalid_request_error");
    if (kind === 429) return openAiError("Rate limit reached; please try again.", "requests", "rate_limit_exceeded");
    return openAiError("The server had an error while processing your request.", "server_error");
  }
  if (kind === 400) return deepgramError("Bad Request", detail);
  if (kind === 429) return deepgramError("TOO_MANY_REQUESTS", "Too many requests. Please try again later");
  return deepgramError("INTERNAL_SERVER_ERROR", "The server encountered an error processing the request.");
}

/** A correct answer for this upload, and its headers; `truncated` cuts the JSON off (the "malformed" fault). */
export function answer(wire, url, bytes, truncated = false) {
  let json;
  const headers = { "content-type": "application/json" };
  if (wire === "openai") json = JSON.stringify({ text: TRANSCRIPT });
  else {
    const listen = listenAnswer(url, bytes);
    headers["dg-request-id"] = listen.metadata.request_id; // Deepgram names its request id here too
    json = JSON.stringify(listen);
  }
  return { body: truncated ? json.slice(0, Math.floor(json.length / 3)) : json, headers };
}

/** The audio's length in seconds, from a WAV header (what the bench sends), else a 16 kbit/s guess. */
function durationS(bytes) {
  if (bytes.length >= 12 && bytes.toString("ascii", 0, 4) === "RIFF" && bytes.toString("ascii", 8, 12) === "WAVE") {
    let byteRate = 0;
    for (let at = 12; at + 8 <= bytes.length;) {
      const id = bytes.toString("ascii", at, at + 4);
      const size = bytes.readUInt32LE(at + 4);
      if (id === "fmt " && at + 16 <= bytes.length) byteRate = bytes.readUInt32LE(at + 16);
      if (id === "data" && byteRate) return Math.min(size, bytes.length - at - 8) / byteRate;
      at += 8 + size + (size % 2);
    }
  }
  return bytes.length / 2000;
}

/** Deepgram's pre-recorded response, one channel, words spread over the audio (times in seconds). */
function listenAnswer(url, bytes) {
  const duration = Math.round(durationS(bytes) * 1000) / 1000;
  const model = url.searchParams.get("model");
  const modelId = "30089e05-99d1-4376-b32e-c263170674af";
  const plain = TRANSCRIPT.split(" ");
  const shown = FORMATTED.split(" ");
  const step = Math.max(0.1, (duration - 0.2) / plain.length);
  const words = plain.map((word, i) => ({
    word,
    start: Math.round((0.1 + i * step) * 1000) / 1000,
    end: Math.round((0.1 + (i + 1) * step) * 1000) / 1000,
    confidence: 0.99,
    punctuated_word: shown[i],
  }));
  return {
    metadata: {
      transaction_key: "deprecated",
      request_id: randomUUID(),
      sha256: createHash("sha256").update(bytes).digest("hex"),
      created: new Date().toISOString(),
      duration,
      channels: 1,
      models: [modelId],
      model_info: { [modelId]: { name: `general-${model}`, version: "2024-12-20.0", arch: model } },
    },
    results: { channels: [{ alternatives: [{ transcript: FORMATTED, confidence: 0.99, words }] }] },
  };
}

// ---------------------------------------------------------------------------------------------- speech
// OpenAI's POST /v1/audio/speech (https://platform.openai.com/docs/api-reference/audio/createSpeech):
// a JSON body {model, input, voice, response_format} -> the audio bytes in that format. "pcm" is raw
// 16-bit little-endian mono at 24 kHz without a header, "wav" the same in a RIFF header; mp3 and
// opus are stand-ins that only carry the container's signature (ID3 / OggS), enough for the
// adapter's sniffing (src/providers/openai/speech-audio.ts), not playable audio.
export const SPEECH_PATH = "/v1/audio/speech";
export const SPEECH_RATE = 24_000;

/** Why a speech request body is not what the adapter should send, or null. */
export function badSpeechRequest(json) {
  if (!json || typeof json !== "object") return "expected a JSON body";
  if (typeof json.model !== "string" || !json.model) return "expected model";
  if (typeof json.input !== "string" || !json.input) return "expected input";
  if (!["mp3", "opus", "aac", "flac", "wav", "pcm"].includes(json.response_format ?? "mp3"))
    return "unknown response_format";
  return null;
}

/** The answer to a speech request: about 60 ms of a 440 Hz tone per input character, at most 10 s. */
export function speechAnswer(json) {
  const format = json.response_format ?? "mp3";
  const samples = Math.min(
    10 * SPEECH_RATE,
    Math.max(SPEECH_RATE / 10, Math.round(json.input.length * 0.06 * SPEECH_RATE)),
  );
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / SPEECH_RATE)), i * 2);
  if (format === "pcm") return { body: pcm, headers: { "content-type": "audio/pcm" } };
  if (format === "wav") {
    const h = Buffer.alloc(44);
    h.write("RIFF", 0, "ascii");
    h.writeUInt32LE(36 + pcm.length, 4);
    h.write("WAVEfmt ", 8, "ascii");
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(1, 20); // PCM
    h.writeUInt16LE(1, 22); // mono
    h.writeUInt32LE(SPEECH_RATE, 24);
    h.writeUInt32LE(SPEECH_RATE * 2, 28);
    h.writeUInt16LE(2, 32);
    h.writeUInt16LE(16, 34);
    h.write("data", 36, "ascii");
    h.writeUInt32LE(pcm.length, 40);
    return { body: Buffer.concat([h, pcm]), headers: { "content-type": "audio/wav" } };
  }
  if (format === "opus")
    return {
      body: Buffer.concat([Buffer.from("OggS\0\x02", "latin1"), Buffer.alloc(512)]),
      headers: { "content-type": "audio/ogg" },
    };
  // mp3 (and aac/flac, which the adapter never asks for): an empty ID3v2 tag, then silence.
  return {
    body: Buffer.concat([Buffer.from("ID3\x04\0\0\0\0\0\0", "latin1"), Buffer.alloc(512)]),
    headers: { "content-type": "audio/mpeg" },
  };
}
