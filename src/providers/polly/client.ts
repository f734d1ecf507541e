import { PollyClient } from "@aws-sdk/client-polly";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import type { PollySettings } from "./settings";

/**
 * Builds the Polly SDK client with every environment-dependent option set explicitly, so that no
 * part of the SDK's default resolution runs: its Node flavour would read env vars, ~/.aws/config
 * and the EC2 metadata service for credentials, region, retry mode, FIPS/dual-stack flags, the
 * app id and the auth-scheme preference. None of that exists in workerd, and credentials must come
 * from our secrets only.
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html
 */
/** The endpoint requests go to, for logs and errors: the configured one, else Polly's regional one. */
export function pollyEndpoint(settings: PollySettings): string {
  return settings.POLLY_ENDPOINT ?? `https://polly.${settings.POLLY_REGION}.amazonaws.com`;
}

export function createPollyClient(settings: PollySettings, fetcher?: typeof fetch): PollyClient {
  return new PollyClient({
    region: settings.POLLY_REGION,
    // A static identity: the SDK signs with it as given and never consults its provider chain.
    credentials: {
      accessKeyId: settings.AWS_ACCESS_KEY_ID,
      secretAccessKey: settings.AWS_SECRET_ACCESS_KEY,
      ...(settings.AWS_SESSION_TOKEN ? { sessionToken: settings.AWS_SESSION_TOKEN } : {}),
    },
    // https://polly.{region}.amazonaws.com unless a regional/FIPS endpoint is configured; the
    // signature still uses POLLY_REGION. https://docs.aws.amazon.com/general/latest/gr/pollyregion.html
    ...(settings.POLLY_ENDPOINT ? { endpoint: settings.POLLY_ENDPOINT } : {}),
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    // One attempt: retries, backoff and failover belong to our resilience layer, which also
    // honours Retry-After; SDK retries would multiply the timeout budget behind its back.
    maxAttempts: 1,
    retryMode: "standard",
    defaultsMode: "standard",
    userAgentAppId: "voice-edge",
    authSchemePreference: ["sigv4"],
    // Plain fetch (workerd has no Node http/http2 client). `customFetch` lets tests and callers
    // inject the outbound fetch, so tests see the exact request the SDK puts on the wire.
    requestHandler: new FetchHttpHandler(fetcher ? { customFetch: fetcher } : {}),
  });
}
