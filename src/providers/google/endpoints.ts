/**
 * Google Cloud endpoints, per configured location. "global" is the default multi-region host;
 * "us" and "eu" are the documented multi-region endpoints that keep data at rest and in use inside
 * the US or the EU. The OAuth token endpoint is global whatever the location.
 */
export const GOOGLE_LOCATIONS = ["global", "us", "eu"] as const;
export type GoogleLocation = (typeof GOOGLE_LOCATIONS)[number];

/** https://cloud.google.com/speech-to-text/docs/endpoints: eu-speech.googleapis.com / us-speech.googleapis.com. */
export function recognizeUrl(location: GoogleLocation): string {
  const host = location === "global" ? "speech.googleapis.com" : `${location}-speech.googleapis.com`;
  // POST /v1/speech:recognize (google.cloud.speech.v1.Speech.Recognize, HTTP binding "post: /v1/speech:recognize").
  return `https://${host}/v1/speech:recognize`;
}

/**
 * https://cloud.google.com/text-to-speech/docs/endpoints: eu-texttospeech.googleapis.com /
 * us-texttospeech.googleapis.com.
 */
export function synthesizeUrl(location: GoogleLocation): string {
  const host = location === "global" ? "texttospeech.googleapis.com" : `${location}-texttospeech.googleapis.com`;
  // POST /v1/text:synthesize (https://cloud.google.com/text-to-speech/docs/reference/rest/v1/text/synthesize).
  return `https://${host}/v1/text:synthesize`;
}

/**
 * https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests:
 * the JWT's `aud` "is always https://oauth2.googleapis.com/token" and the assertion is posted there.
 */
export const DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";

/** The one scope that covers both Speech-to-Text and Text-to-Speech (their default_host's oauth_scopes). */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
