import type { Context } from "hono";
import type { AppEnv } from "../env";
import { readAtMost } from "../../lib/bytes";
import { decodeAudio, type DecodedAudio } from "../../audio/decode";
import { ApiError } from "../../lib/errors";

export interface AudioUpload {
  audio: DecodedAudio;
  /** The bytes as received, for the idempotency fingerprint. */
  raw: Uint8Array;
  contentType: string;
  /** Other multipart form fields (language, provider...). */
  fields: Record<string, string>;
}

/** Reads at most `max` bytes of the body; one byte more is a 413, without buffering the rest. */
async function readLimited(req: Request, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const bytes = await readAtMost(req.body, max);
  if (!bytes) throw tooLarge(max);
  return bytes;
}

function tooLarge(max: number): ApiError {
  return new ApiError(
    413,
    "payload_too_large",
    `Audio bodies are limited to ${max} bytes (${(max / 1048576).toFixed(1)} MiB); send a shorter recording.`,
  );
}

export function isMultipart(contentType: string | undefined): boolean {
  return /^multipart\/form-data/i.test(contentType ?? "");
}

/**
 * Reads an audio upload: a raw body with its Content-Type, or multipart/form-data with the file in
 * field `audio`. The bytes are validated and decoded by src/audio (sniffed against the declared
 * type, size and duration limits); anything wrong is a 4xx before any call state is touched.
 */
export async function readAudioUpload(c: Context<AppEnv>): Promise<AudioUpload> {
  const cfg = c.var.config;
  const contentType = c.req.header("Content-Type") ?? "";
  // Multipart framing adds a little; the audio part itself is checked against the limit below.
  const raw = await readLimited(
    c.req.raw,
    isMultipart(contentType) ? cfg.MAX_AUDIO_BYTES + 64 * 1024 : cfg.MAX_AUDIO_BYTES,
  );
  const limits = { maxBytes: cfg.MAX_AUDIO_BYTES, maxDurationMs: cfg.MAX_AUDIO_SECONDS * 1000 };
  if (!isMultipart(contentType)) {
    return { audio: decodeAudio(raw, contentType || null, limits), raw, contentType, fields: {} };
  }
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { "Content-Type": contentType } }).formData();
  } catch {
    throw new ApiError(
      400,
      "invalid_request",
      "The multipart/form-data body could not be parsed; send the file in a field named 'audio'.",
    );
  }
  const file = form.get("audio");
  if (!file || typeof file === "string") {
    throw new ApiError(400, "invalid_request", "The multipart body has no file field named 'audio'.");
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const fields: Record<string, string> = {};
  for (const [k, v] of form.entries()) if (typeof v === "string") fields[k] = v;
  return { audio: decodeAudio(bytes, file.type || null, limits), raw: bytes, contentType: file.type, fields };
}
