/**
 * The client's answer when every provider refused a request for what it is: a 422 naming what to
 * change (the language, the voice, the text) and each provider's reason, never a 503, since a
 * client honouring Retry-After would send the same refused request forever.
 */
import { ApiError } from "../../lib/errors";
import type { ProviderRefusal } from "../../routing/attempts";

export type SpeechService = "text-to-speech" | "speech-to-text";

/** Providers whose voices and models cover many languages, for the hint (see docs/providers.md). */
const MULTILINGUAL: Record<SpeechService, string> = {
  "text-to-speech": "Amazon Polly, Google, Azure and OpenAI",
  "speech-to-text": "Google, Azure, Deepgram and OpenAI",
};

export function refusalProblem(
  service: SpeechService,
  language: string,
  refusals: readonly ProviderRefusal[],
): ApiError {
  const reasons = refusals.map((r) => r.reason).join("; ");
  const all = (kind: ProviderRefusal["refused"]) => refusals.every((r) => r.refused === kind);
  const internal = refusals.map((r) => `${r.provider}:${r.refused}`).join(", ");
  if (all("language")) {
    return new ApiError(
      422,
      "unsupported_language",
      `No configured ${service} provider takes ${language} (${reasons}). Ask in a language they take, or ` +
        `configure a provider that takes it: ${MULTILINGUAL[service]} cover many languages (docs/providers.md).`,
      { internal },
    );
  }
  if (all("voice")) {
    return new ApiError(
      422,
      "unsupported_voice",
      `No configured ${service} provider has this voice (${reasons}); name one of its voices, or leave voice out.`,
      { internal },
    );
  }
  if (all("text")) {
    return new ApiError(
      422,
      "text_too_long",
      `The text is longer than every configured ${service} provider takes (${reasons}); split it.`,
      { internal },
    );
  }
  return new ApiError(
    422,
    "request_refused",
    `Every configured ${service} provider refused this request (${reasons}); retrying will not change that.`,
    { internal },
  );
}
