import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse, type RecordedRequest } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import { clearAccessTokens, REFRESH_MARGIN_MS } from "./access-token";
import { googleSettings, type GoogleSettings } from "./settings";
import { GoogleSpeechToText } from "./stt";
import {
  decodeBase64Url,
  makeServiceAccount,
  pcmInput,
  tone,
  wavBase64,
  type TestServiceAccount,
} from "./test-support";
import { GoogleTextToSpeech } from "./tts";

const RECOGNIZED = { results: [{ alternatives: [{ transcript: "pay my bill", confidence: 0.9 }] }] };
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

let account: TestServiceAccount;
beforeAll(async () => {
  account = await makeServiceAccount("voice-edge@voice-edge-test.iam.gserviceaccount.com");
});
afterEach(() => clearAccessTokens());

function settingsFor(json: string, extra: Record<string, string> = {}): GoogleSettings {
  const parsed = googleSettings.safeParse({ GOOGLE_SERVICE_ACCOUNT_JSON: json, ...extra });
  if (!parsed.success) throw new Error(parsed.error.message);
  return parsed.data;
}

/** Routes token requests and API requests; token answers can be scripted per call. */
function google(tokenAnswers: (() => Response | Promise<Response>)[] = []) {
  let tokens = 0;
  const outbound = fakeFetch((req) => {
    if (req.url.host === "oauth2.googleapis.com") {
      const scripted = tokenAnswers[tokens];
      tokens++;
      return scripted
        ? scripted()
        : jsonResponse({ access_token: `ya29.token-${tokens}`, expires_in: 3599, token_type: "Bearer" });
    }
    if (req.url.host === "texttospeech.googleapis.com")
      return jsonResponse({ audioContent: wavBase64(tone(0.1, 16000), 16000) });
    return jsonResponse(RECOGNIZED);
  });
  const tokenRequests = () => outbound.requests.filter((r) => r.url.host === "oauth2.googleapis.com");
  const apiRequests = () => outbound.requests.filter((r) => r.url.host !== "oauth2.googleapis.com");
  return { ...outbound, tokenRequests, apiRequests };
}

const transcribe = (stt: GoogleSpeechToText) => stt.transcribe(pcmInput(tone(0.5, 16000), 16000));

function jwtParts(req: RecordedRequest) {
  const form = new URLSearchParams(req.text());
  const assertion = form.get("assertion") ?? "";
  const [header = "", claims = "", signature = ""] = assertion.split(".");
  return {
    form,
    header: JSON.parse(new TextDecoder().decode(decodeBase64Url(header))) as Record<string, unknown>,
    claims: JSON.parse(new TextDecoder().decode(decodeBase64Url(claims))) as Record<string, unknown>,
    signed: new TextEncoder().encode(`${header}.${claims}`),
    signature: decodeBase64Url(signature),
  };
}

describe("Google service-account auth", () => {
  it("exchanges an RS256 JWT signed with the key file's private key for a token, then calls with Bearer", async () => {
    const outbound = google();
    const stt = new GoogleSpeechToText(settingsFor(account.json), { fetcher: outbound.fetcher });
    const before = Math.floor(Date.now() / 1000);
    expect((await transcribe(stt)).text).toBe("pay my bill");

    const [tokenReq] = outbound.tokenRequests();
    expect(tokenReq).toBeDefined();
    expect(tokenReq!.method).toBe("POST");
    expect(tokenReq!.url.href).toBe("https://oauth2.googleapis.com/token");
    expect(tokenReq!.headers.get("content-type")).toBe("application/x-www-form-urlencoded");

    const jwt = jwtParts(tokenReq!);
    expect([...jwt.form.keys()].sort()).toEqual(["assertion", "grant_type"]);
    expect(jwt.form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(jwt.header).toEqual({ alg: "RS256", typ: "JWT" });
    expect(jwt.claims).toEqual({
      iss: account.clientEmail,
      scope: "https://www.googleapis.com/auth/cloud-platform",
      aud: "https://oauth2.googleapis.com/token",
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    const iat = jwt.claims.iat as number;
    expect((jwt.claims.exp as number) - iat).toBe(3600);
    expect(Math.abs(iat - before)).toBeLessThanOrEqual(5);
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", account.publicKey, jwt.signature, jwt.signed)).toBe(true);

    const [apiReq] = outbound.apiRequests();
    expect(apiReq!.url.href).toBe("https://speech.googleapis.com/v1/speech:recognize");
    expect(apiReq!.headers.get("authorization")).toBe("Bearer ya29.token-1");
    expect(apiReq!.headers.get("x-goog-api-key")).toBeNull();
    expect(apiReq!.headers.get("x-goog-user-project")).toBeNull();
  });

  it(
    "reuses the token for later calls, across engines, " + "until 5 minutes before it expires; then refreshes",
    async () => {
      let now = T0;
      const outbound = google();
      const options = { fetcher: outbound.fetcher, now: () => now };
      const settings = settingsFor(account.json);
      const stt = new GoogleSpeechToText(settings, options);
      const tts = new GoogleTextToSpeech(settings, options);

      await transcribe(stt);
      await transcribe(stt);
      await tts.synthesize({ text: "Hi", language: "en-US", sampleRate: 16000 });
      expect(outbound.tokenRequests()).toHaveLength(1);
      expect(outbound.apiRequests().map((r) => r.headers.get("authorization"))).toEqual(
        Array(3).fill("Bearer ya29.token-1"),
      );

      now = T0 + 3599_000 - REFRESH_MARGIN_MS - 1000; // just before the refresh point
      await transcribe(stt);
      expect(outbound.tokenRequests()).toHaveLength(1);

      now = T0 + 3599_000 - REFRESH_MARGIN_MS + 1000; // inside the last 5 minutes: refresh
      await transcribe(stt);
      expect(outbound.tokenRequests()).toHaveLength(2);
      expect(jwtParts(outbound.tokenRequests()[1]!).claims.iat).toBe(Math.floor(now / 1000));
      expect(outbound.apiRequests().at(-1)!.headers.get("authorization")).toBe("Bearer ya29.token-2");
    },
  );

  it("shares one in-flight token request between concurrent callers", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const outbound = google([
      async () => (await gate, jsonResponse({ access_token: "ya29.shared", expires_in: 3600, token_type: "Bearer" })),
    ]);
    const stt = new GoogleSpeechToText(settingsFor(account.json), { fetcher: outbound.fetcher });
    const calls = [transcribe(stt), transcribe(stt), transcribe(stt)];
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all(calls);
    expect(outbound.tokenRequests()).toHaveLength(1);
    expect(outbound.apiRequests().map((r) => r.headers.get("authorization"))).toEqual(
      Array(3).fill("Bearer ya29.shared"),
    );
  });

  it("does not cache a failed refresh: the next call asks again", async () => {
    const outbound = google([() => jsonResponse({ error: "internal_failure" }, 503)]);
    const stt = new GoogleSpeechToText(settingsFor(account.json), { fetcher: outbound.fetcher });
    const err = await transcribe(stt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("retryable");
    expect(outbound.apiRequests()).toHaveLength(0);

    expect((await transcribe(stt)).text).toBe("pay my bill");
    expect(outbound.tokenRequests()).toHaveLength(2);
    expect(outbound.apiRequests()[0]!.headers.get("authorization")).toBe("Bearer ya29.token-2");
  });

  it("keeps using a still-valid token when its early refresh fails", async () => {
    let now = T0;
    const outbound = google([
      () => jsonResponse({ access_token: "ya29.first", expires_in: 3600 }),
      () => jsonResponse({ error: "backend" }, 500),
    ]);
    const stt = new GoogleSpeechToText(settingsFor(account.json), { fetcher: outbound.fetcher, now: () => now });
    await transcribe(stt);
    now = T0 + 3600_000 - 60_000; // in the refresh window, one minute before expiry
    await transcribe(stt);
    expect(outbound.tokenRequests()).toHaveLength(2);
    expect(outbound.apiRequests().map((r) => r.headers.get("authorization"))).toEqual([
      "Bearer ya29.first",
      "Bearer ya29.first",
    ]);
  });

  it("classifies a refused assertion (invalid_grant) as auth, and sends the billing project when set", async () => {
    const refused = google([
      () => jsonResponse({ error: "invalid_grant", error_description: "Invalid JWT Signature." }, 400),
    ]);
    const err = await transcribe(new GoogleSpeechToText(settingsFor(account.json), { fetcher: refused.fetcher })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("auth");
    expect((err as ProviderError).message).toMatch(/invalid_grant/);
    expect((err as ProviderError).message).not.toMatch(/assertion|BEGIN PRIVATE KEY/);

    const billed = google();
    await transcribe(
      new GoogleSpeechToText(settingsFor(account.json, { GOOGLE_PROJECT_ID: "voice-billing" }), {
        fetcher: billed.fetcher,
      }),
    );
    expect(billed.apiRequests()[0]!.headers.get("x-goog-user-project")).toBe("voice-billing");
  });

  it("a key that cannot be imported is an auth error and nothing is sent", async () => {
    const broken = JSON.stringify({
      ...JSON.parse(account.json),
      client_email: "broken@voice-edge-test.iam.gserviceaccount.com",
      private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    });
    const outbound = google();
    const err = await transcribe(new GoogleSpeechToText(settingsFor(broken), { fetcher: outbound.fetcher })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("auth");
    expect((err as ProviderError).message).toMatch(/GOOGLE_SERVICE_ACCOUNT_JSON/);
    expect(outbound.requests).toHaveLength(0);
  });

  it("an access token echoed in an API error is masked, and a 401 drops the cached token", async () => {
    const outbound = fakeFetch((req) =>
      req.url.host === "oauth2.googleapis.com"
        ? jsonResponse({ access_token: "ya29.very-secret-token", expires_in: 3600 })
        : jsonResponse(
            { error: { code: 401, status: "UNAUTHENTICATED", message: "Invalid Credentials: ya29.very-secret-token" } },
            401,
          ),
    );
    const stt = new GoogleSpeechToText(settingsFor(account.json), { fetcher: outbound.fetcher });
    const err = await transcribe(stt).catch((e: unknown) => e);
    expect((err as ProviderError).kind).toBe("auth");
    expect((err as ProviderError).message).toMatch(/Invalid Credentials: \*\*\*/);
    expect((err as ProviderError).message).not.toContain("very-secret-token");
    // The refused token is dropped: the next call asks for a new one instead of reusing it.
    await transcribe(stt).catch(() => undefined);
    expect(outbound.requests.filter((r) => r.url.host === "oauth2.googleapis.com")).toHaveLength(2);
  });
});
