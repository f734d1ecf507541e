/**
 * Parses a request's Content-Type into what the decoder needs to know.
 *
 * Headerless formats (L16, G.711) carry their sample rate only in the media type parameters, so
 * those are validated here. Matching is case-insensitive (RFC 9110 §8.3.1) and unknown parameters
 * are tolerated, because clients add things like `charset` or `codecs` freely.
 */
import { AudioError } from "./errors";
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from "./wav";

export type ContainerFormat = "ogg" | "webm" | "mp3" | "flac";
/** `l16` is big-endian signed 16-bit PCM (RFC 2586); `mulaw`/`alaw` are 8-bit G.711. */
export type RawEncoding = "l16" | "mulaw" | "alaw";

export type AudioMediaType =
  | { kind: "wav"; mediaType: string }
  | { kind: "raw"; encoding: RawEncoding; sampleRate: number; channels: number; mediaType: string }
  | { kind: "container"; container: ContainerFormat; mediaType: string };

/** The list shown to clients whenever their Content-Type is not accepted. */
export const ACCEPTED_AUDIO_TYPES =
  "audio/wav, audio/L16;rate=<Hz>[;channels=1|2], audio/basic, audio/PCMU[;rate=<Hz>], " +
  "audio/PCMA[;rate=<Hz>], audio/ogg, audio/opus, audio/webm, audio/mpeg, audio/flac";

const WAV_TYPES = new Set(["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"]);
const CONTAINER_TYPES: Record<string, { container: ContainerFormat; canonical: string }> = {
  "audio/ogg": { container: "ogg", canonical: "audio/ogg" },
  // Opus files are Ogg streams; RFC 7845 names them audio/ogg, and providers know that name.
  "audio/opus": { container: "ogg", canonical: "audio/ogg;codecs=opus" },
  "audio/webm": { container: "webm", canonical: "audio/webm" },
  "audio/mpeg": { container: "mp3", canonical: "audio/mpeg" },
  "audio/mp3": { container: "mp3", canonical: "audio/mpeg" },
  "audio/flac": { container: "flac", canonical: "audio/flac" },
  "audio/x-flac": { container: "flac", canonical: "audio/flac" },
};

export function parseAudioMediaType(contentType: string | null): AudioMediaType {
  if (contentType === null || contentType.trim() === "") {
    throw new AudioError(
      "unsupported_media_type",
      `The request has no Content-Type, so the audio format is unknown; set it to one of: ${ACCEPTED_AUDIO_TYPES}.`,
    );
  }
  const [essenceRaw = "", ...paramParts] = contentType.split(";");
  const essence = essenceRaw.trim().toLowerCase();
  const params = parseParams(paramParts);

  if (WAV_TYPES.has(essence)) return { kind: "wav", mediaType: "audio/wav" };

  const container = CONTAINER_TYPES[essence];
  if (container) {
    // Browsers send e.g. audio/webm;codecs=opus; keep the codec hint for the speech provider.
    // The value is client-controlled and is forwarded to providers, so only a plain codec list passes.
    const codecs = params.get("codecs")?.toLowerCase();
    const plain = codecs !== undefined && /^[a-z0-9.+-]{1,32}(,[a-z0-9.+-]{1,32}){0,3}$/.test(codecs);
    const mediaType =
      plain && !container.canonical.includes(";") ? `${container.canonical};codecs=${codecs}` : container.canonical;
    return { kind: "container", container: container.container, mediaType };
  }

  switch (essence) {
    case "audio/l16": {
      if (!params.has("rate")) {
        throw new AudioError(
          "unsupported_media_type",
          "audio/L16 needs a rate parameter (RFC 2586), for example " +
            "audio/L16;rate=16000; add it so the samples can be timed.",
        );
      }
      const sampleRate = rateParam(params, essence, 0);
      const channels = channelsParam(params, essence);
      const suffix = channels === 1 ? "" : `;channels=${channels}`;
      return { kind: "raw", encoding: "l16", sampleRate, channels, mediaType: `audio/L16;rate=${sampleRate}${suffix}` };
    }
    case "audio/basic":
      // RFC 2046 fixes audio/basic at 8000 Hz mono mu-law; parameters cannot change that.
      return { kind: "raw", encoding: "mulaw", sampleRate: 8000, channels: 1, mediaType: "audio/basic" };
    case "audio/pcmu":
    case "audio/x-mulaw":
    case "audio/pcma":
    case "audio/x-alaw": {
      const mulaw = essence === "audio/pcmu" || essence === "audio/x-mulaw";
      const sampleRate = rateParam(params, essence, 8000); // G.711's native rate when unstated
      const channels = channelsParam(params, essence);
      const suffix = channels === 1 ? "" : `;channels=${channels}`;
      return {
        kind: "raw",
        encoding: mulaw ? "mulaw" : "alaw",
        sampleRate,
        channels,
        mediaType: `audio/${mulaw ? "PCMU" : "PCMA"};rate=${sampleRate}${suffix}`,
      };
    }
  }

  throw new AudioError(
    "unsupported_media_type",
    `Content-Type '${truncate(essence)}' is not an accepted audio format; send one of: ${ACCEPTED_AUDIO_TYPES}.`,
  );
}

function parseParams(parts: string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq < 0) continue; // a stray ";" or a bare token: tolerated
    const key = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!key) continue;
    // RFC 9110 §8.3.1: a parameter appears once; `rate=16000;rate=8000` has no one meaning.
    if (params.has(key))
      throw new AudioError("unsupported_media_type", `Content-Type gives '${truncate(key)}' twice; give it once.`);
    params.set(key, value);
  }
  return params;
}

function rateParam(params: Map<string, string>, essence: string, fallback: number): number {
  const raw = params.get("rate");
  if (raw === undefined) return fallback;
  const rate = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE)) {
    throw new AudioError(
      "unsupported_media_type",
      `${essence} rate=${truncate(raw)} is not supported; give the sample rate in Hz ` +
        `as a whole number from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}.`,
    );
  }
  return rate;
}

function channelsParam(params: Map<string, string>, essence: string): number {
  const raw = params.get("channels");
  if (raw === undefined) return 1;
  if (raw !== "1" && raw !== "2") {
    throw new AudioError(
      "unsupported_media_type",
      `${essence} channels=${truncate(raw)} is not supported; send mono (channels=1) or stereo (channels=2) audio.`,
    );
  }
  return Number(raw);
}

/** Header values are client-controlled and end up in the error detail; keep them short. */
function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
