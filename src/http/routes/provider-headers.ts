import type { TurnResult } from "../../pipeline/types";

/**
 * X-Voice-Provider / X-Voice-Region for a turn. A turn may use two providers (speech-to-text for
 * the caller, text-to-speech for the reply), so the headers are structured-field dictionaries
 * (RFC 8941) keyed by stage, e.g. `stt=deepgram, tts=polly` and `stt=eu, tts=eu-central-1`.
 * Stages that called no provider (text or keypad input, text replies) are left out.
 */
export function turnProviderHeaders(result: TurnResult): Record<string, string> {
  const stages: [string, { provider?: string | undefined; region?: string | undefined } | undefined][] = [
    ["stt", result.transcript.provider ? result.transcript : undefined],
    ["tts", result.reply.audio],
  ];
  const used = stages.filter((s): s is [string, { provider: string; region: string }] =>
    Boolean(s[1]?.provider && s[1].region),
  );
  if (!used.length) return {};
  return {
    "X-Voice-Provider": used.map(([stage, s]) => `${stage}=${token(s.provider)}`).join(", "),
    "X-Voice-Region": used.map(([stage, s]) => `${stage}=${token(s.region)}`).join(", "),
  };
}

/** A bare token when the value is one (provider and region ids are), else a quoted string. */
function token(value: string): string {
  return /^[A-Za-z*][A-Za-z0-9:/!#$%&'*+\-.^_`|~]*$/.test(value) ? value : JSON.stringify(value);
}
