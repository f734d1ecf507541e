import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RecordedRequest } from "../../../test/helpers/outbound";
import {
  ACCESS_KEY_ID,
  audioResponse,
  parseAuthorization,
  pcmBytes,
  pollyWith,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  sha256Hex,
  sigv4Signature,
} from "./test-support";

/**
 * SigV4 as AWS specifies it (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * `Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/polly/aws4_request,
 * SignedHeaders=<…>, Signature=<64 hex>` with `X-Amz-Date` (and `X-Amz-Security-Token` for
 * temporary credentials). The signature is recomputed here with WebCrypto, independently of the SDK.
 */
const NOW = new Date("2026-01-15T12:34:56.000Z");
const request = { text: "Your balance is one hundred dollars", language: "en-US", sampleRate: 16000 };
const OK = audioResponse(pcmBytes([0, 1000, -1000, 0]), "audio/pcm");

async function expectedSignature(req: RecordedRequest, signedHeaders: string[], region: string): Promise<string> {
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    // fetch may keep Host implicit: it is the URL's host on the wire either way.
    const value = name === "host" ? (req.headers.get("host") ?? req.url.host) : req.headers.get(name);
    if (value === null) throw new Error(`signed header ${name} is missing from the request`);
    headers[name] = value;
  }
  return sigv4Signature({
    method: req.method,
    path: req.url.pathname,
    query: req.url.searchParams,
    headers,
    payload: req.body,
    amzDate: req.headers.get("x-amz-date")!,
    region,
    service: "polly",
    secretAccessKey: SECRET_ACCESS_KEY,
  });
}

describe("polly SigV4 signing", () => {
  beforeEach(() => {
    // Only Date is faked: the SDK reads the clock for X-Amz-Date; timers stay real.
    vi.useFakeTimers({ toFake: ["Date"], now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("our reference signer reproduces AWS's published get-vanilla example", async () => {
    // https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html (get-vanilla)
    const signature = await sigv4Signature({
      method: "GET",
      path: "/",
      query: new URLSearchParams(),
      headers: { host: "example.amazonaws.com", "x-amz-date": "20150830T123600Z" },
      payload: new Uint8Array(),
      amzDate: "20150830T123600Z",
      region: "us-east-1",
      service: "service",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    });
    expect(signature).toBe("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  });

  it(
    "signs with the configured key, today's scope for the region " +
      "and service polly, and a signature we can recompute",
    async () => {
      const { tts, requests } = pollyWith(OK, { POLLY_REGION: "eu-central-1" });
      await tts.synthesize(request);
      const req = requests[0]!;

      expect(req.headers.get("x-amz-date")).toBe("20260115T123456Z");
      const auth = parseAuthorization(req.headers.get("authorization"));
      expect(auth, `malformed Authorization: ${req.headers.get("authorization")}`).not.toBeNull();
      expect(auth).toMatchObject({
        accessKeyId: ACCESS_KEY_ID,
        date: "20260115",
        region: "eu-central-1",
        service: "polly",
      });
      expect(auth!.signedHeaders).toEqual([...auth!.signedHeaders].sort());
      expect(auth!.signedHeaders).toEqual(expect.arrayContaining(["content-type", "host", "x-amz-date"]));
      expect(auth!.signedHeaders).not.toContain("x-amz-security-token");
      expect(req.headers.get("x-amz-security-token")).toBeNull();

      expect(auth!.signature).toBe(await expectedSignature(req, auth!.signedHeaders, "eu-central-1"));
      // The payload hash the SDK declares (and signs) is the hash of the body that was sent.
      if (req.headers.has("x-amz-content-sha256"))
        expect(req.headers.get("x-amz-content-sha256")).toBe(await sha256Hex(req.body));
    },
  );

  it("adds and signs X-Amz-Security-Token for temporary credentials", async () => {
    const { tts, requests } = pollyWith(OK, { AWS_SESSION_TOKEN: SESSION_TOKEN });
    await tts.synthesize(request);
    const req = requests[0]!;

    expect(req.headers.get("x-amz-security-token")).toBe(SESSION_TOKEN);
    const auth = parseAuthorization(req.headers.get("authorization"))!;
    expect(auth.signedHeaders).toContain("x-amz-security-token");
    expect(auth.region).toBe("us-east-1");
    expect(auth.signature).toBe(await expectedSignature(req, auth.signedHeaders, "us-east-1"));
  });

  it("signs for POLLY_REGION when the request goes to a POLLY_ENDPOINT override", async () => {
    const { tts, requests } = pollyWith(OK, {
      POLLY_REGION: "us-east-1",
      POLLY_ENDPOINT: "https://polly-fips.us-east-1.amazonaws.com",
    });
    await tts.synthesize(request);
    const req = requests[0]!;
    const auth = parseAuthorization(req.headers.get("authorization"))!;
    expect(req.url.host).toBe("polly-fips.us-east-1.amazonaws.com");
    expect(auth).toMatchObject({ region: "us-east-1", service: "polly" });
    expect(auth.signature).toBe(await expectedSignature(req, auth.signedHeaders, "us-east-1"));
  });

  it("a different secret gives a different signature (the check above is not vacuous)", async () => {
    const { tts, requests } = pollyWith(OK);
    await tts.synthesize(request);
    const req = requests[0]!;
    const auth = parseAuthorization(req.headers.get("authorization"))!;
    const headers = Object.fromEntries(
      auth.signedHeaders.map((n) => [
        n,
        n === "host" ? (req.headers.get("host") ?? req.url.host) : req.headers.get(n)!,
      ]),
    );
    const other = await sigv4Signature({
      method: "POST",
      path: "/v1/speech",
      query: new URLSearchParams(),
      headers,
      payload: req.body,
      amzDate: "20260115T123456Z",
      region: "us-east-1",
      service: "polly",
      secretAccessKey: "another/secret/key/of/forty/characters00",
    });
    expect(other).not.toBe(auth.signature);
  });
});
