import { describe, expect, it } from "vitest";
import { signedUrlVariants, twilioSignature, twilioSigningString, verifyTwilioSignature } from "./twilio-signature";

/**
 * Expected signatures are Twilio's own, not computed by the code under test:
 *  - DOC_*: the worked example in https://www.twilio.com/docs/usage/webhooks/webhooks-security
 *    ("Explore the algorithm yourself"): AuthToken 12345, that URL and those five fields sign
 *    to L/OH5YylLD5NRKLltdqwSvS0BnU=.
 *  - LEGACY_*: the older example of the previous security page (https://www.twilio.com/docs/security;
 *    also https://twilio-php-atbaker.readthedocs.io/en/latest/usage/validation.html) that the
 *    helper libraries test against (the twilio-php and
 *    twilio-csharp RequestValidatorTest suites), with their port, credential, host-case and
 *    repeated-key vectors.
 */
const TOKEN = "12345";

const DOC_URL = "https://example.com/myapp.php?foo=1&bar=2";
const DOC_PARAMS = {
  Digits: "1234",
  To: "+18005551212",
  From: "+14158675310",
  Caller: "+14158675310",
  CallSid: "CA1234567890ABCDE",
};
const DOC_SIGNATURE = "L/OH5YylLD5NRKLltdqwSvS0BnU=";
/** The concatenation the docs page spells out, step by step. */
const DOC_SIGNED_STRING =
  "https://example.com/myapp.php?foo=1&bar=2" +
  "CallSidCA1234567890ABCDE" +
  "Caller+14158675310" +
  "Digits1234" +
  "From+14158675310" +
  "To+18005551212";

const LEGACY_URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
const LEGACY_PARAMS = {
  CallSid: "CA1234567890ABCDE",
  Caller: "+14158675309",
  Digits: "1234",
  From: "+14158675309",
  To: "+18005551212",
};
const LEGACY_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

describe("twilioSignature", () => {
  it("builds the signed string exactly as the docs spell it out (sorted by name, no separators)", () => {
    expect(twilioSigningString(DOC_URL, DOC_PARAMS)).toBe(DOC_SIGNED_STRING);
  });

  it("reproduces the documented example signature", async () => {
    expect(await twilioSignature(TOKEN, DOC_URL, DOC_PARAMS)).toBe(DOC_SIGNATURE);
    expect(await twilioSignature(TOKEN, LEGACY_URL, LEGACY_PARAMS)).toBe(LEGACY_SIGNATURE);
  });

  it("accepts the parameters as pairs or URLSearchParams, in any order", async () => {
    const pairs = Object.entries(DOC_PARAMS).reverse() as [string, string][];
    expect(await twilioSignature(TOKEN, DOC_URL, pairs)).toBe(DOC_SIGNATURE);
    // The form body as Twilio posts it: '+' percent-encoded, decoded again by URLSearchParams.
    const body = "Digits=1234&To=%2B18005551212&From=%2B14158675310&Caller=%2B14158675310&CallSid=CA1234567890ABCDE";
    expect(await twilioSignature(TOKEN, DOC_URL, new URLSearchParams(body))).toBe(DOC_SIGNATURE);
  });

  it("sorts a repeated key's values and drops duplicates, as Twilio's libraries do", async () => {
    const pairs: [string, string][] = [
      ["Sid", "CA123"],
      ["SidAccount", "AC123"],
      ["Digits", "5678"],
      ["Digits", "1234"],
      ["Digits", "1234"],
    ];
    expect(twilioSigningString(LEGACY_URL, pairs)).toBe(`${LEGACY_URL}Digits1234Digits5678SidCA123SidAccountAC123`);
    // twilio-php RequestValidatorTest::testValidateWithArrayAndDuplicates
    expect(await twilioSignature(TOKEN, LEGACY_URL, pairs)).toBe("IK+Dwps556ElfBT0I3Rgjkr1wJU=");
  });

  it("sorts names case-sensitively in byte order (upper case before lower case)", () => {
    expect(twilioSigningString("u", { b: "1", B: "2", a: "3", "\u{1F600}": "4", "\uFFFD": "5" })).toBe(
      "uB2a3b1\uFFFD5\u{1F600}4",
    );
  });

  it("signs a GET or WebSocket handshake over the URL alone", async () => {
    expect(twilioSigningString(DOC_URL)).toBe(DOC_URL);
    expect(await twilioSignature(TOKEN, DOC_URL)).toBe(await twilioSignature(TOKEN, DOC_URL, []));
  });

  it("refuses an empty auth token", async () => {
    await expect(twilioSignature("", DOC_URL, DOC_PARAMS)).rejects.toThrow(/auth token is empty/);
  });
});

describe("verifyTwilioSignature", () => {
  it("accepts the documented example", async () => {
    expect(await verifyTwilioSignature(TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(true);
    expect(await verifyTwilioSignature(TOKEN, LEGACY_URL, LEGACY_PARAMS, LEGACY_SIGNATURE)).toBe(true);
  });

  it("rejects a tampered parameter", async () => {
    expect(await verifyTwilioSignature(TOKEN, DOC_URL, { ...DOC_PARAMS, Digits: "9999" }, DOC_SIGNATURE)).toBe(false);
    // Whitespace counts: a framework that trims form fields breaks validation (the docs warn about Laravel).
    expect(await verifyTwilioSignature(TOKEN, DOC_URL, { ...DOC_PARAMS, Digits: "1234 " }, DOC_SIGNATURE)).toBe(false);
  });

  it("rejects an extra or a missing parameter", async () => {
    expect(await verifyTwilioSignature(TOKEN, DOC_URL, { ...DOC_PARAMS, Extra: "1" }, DOC_SIGNATURE)).toBe(false);
    const { Digits: _omitted, ...fewer } = DOC_PARAMS;
    expect(await verifyTwilioSignature(TOKEN, DOC_URL, fewer, DOC_SIGNATURE)).toBe(false);
  });

  it("rejects a different URL (path, query, scheme or host)", async () => {
    for (const url of [
      "https://example.com/myapp.php?foo=1&bar=3",
      "https://example.com/myapp.php?foo=1&bar=2&x=1",
      "https://example.com/other.php?foo=1&bar=2",
      "http://example.com/myapp.php?foo=1&bar=2",
      "https://example.org/myapp.php?foo=1&bar=2",
    ]) {
      expect(await verifyTwilioSignature(TOKEN, url, DOC_PARAMS, DOC_SIGNATURE), url).toBe(false);
    }
  });

  it("rejects a wrong token", async () => {
    expect(await verifyTwilioSignature("54321", DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(false);
    expect(await verifyTwilioSignature([], DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(false);
    expect(await verifyTwilioSignature([""], DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(false);
  });

  it("accepts either token during a rotation", async () => {
    expect(await verifyTwilioSignature(["new-primary", TOKEN], DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(true);
    expect(await verifyTwilioSignature([TOKEN, "other"], DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(true);
  });

  it("rejects a missing or garbage header", async () => {
    for (const header of [
      undefined,
      null,
      "",
      "garbage",
      "FAIL",
      `NOT${DOC_SIGNATURE}`,
      DOC_SIGNATURE.toLowerCase(),
      ` ${DOC_SIGNATURE}`,
      LEGACY_SIGNATURE,
    ]) {
      expect(await verifyTwilioSignature(TOKEN, DOC_URL, DOC_PARAMS, header), String(header)).toBe(false);
    }
  });

  describe("URL variants (Twilio's libraries' port handling and the docs' notes)", () => {
    // Vectors from twilio-php / twilio-csharp RequestValidatorTest (token 12345, LEGACY_PARAMS).
    it("accepts a signature over the URL with the default port added (:443, :80)", async () => {
      expect(await verifyTwilioSignature(TOKEN, LEGACY_URL, LEGACY_PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=")).toBe(true);
      expect(
        await verifyTwilioSignature(
          TOKEN,
          "http://mycompany.com/myapp.php?foo=1&bar=2",
          LEGACY_PARAMS,
          "0ZXoZLH/DfblKGATFgpif+LLRf4=",
        ),
      ).toBe(true);
    });

    it("accepts a signature over the URL without the port when the URL has one", async () => {
      expect(
        await verifyTwilioSignature(
          TOKEN,
          "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
          LEGACY_PARAMS,
          LEGACY_SIGNATURE,
        ),
      ).toBe(true);
      expect(
        await verifyTwilioSignature(
          TOKEN,
          "https://mycompany.com:443/myapp.php?foo=1&bar=2",
          LEGACY_PARAMS,
          LEGACY_SIGNATURE,
        ),
      ).toBe(true);
    });

    it("accepts a signature over the URL with its own non-default port", async () => {
      expect(
        await verifyTwilioSignature(
          TOKEN,
          "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
          LEGACY_PARAMS,
          "CYn1h0gLBdNxDGkKJg6hYohgeD8=",
        ),
      ).toBe(true);
      expect(
        await verifyTwilioSignature(
          TOKEN,
          "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
          LEGACY_PARAMS,
          "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
        ),
      ).toBe(true);
    });

    it("does not normalise the host's case (the signed bytes are the URL as configured)", async () => {
      // twilio-csharp TestValidateDictionaryMixedCase / ...WithIncorrectSignature
      expect(
        await verifyTwilioSignature(
          TOKEN,
          "https://MyCompany.com/myapp.php?foo=1&bar=2",
          LEGACY_PARAMS,
          "g9IN/x4Cft2g517EjYvEvM/W7LU=",
        ),
      ).toBe(true);
      expect(
        await verifyTwilioSignature(
          TOKEN,
          "https://MyCompany.com/myapp.php?foo=1&bar=2",
          LEGACY_PARAMS,
          LEGACY_SIGNATURE,
        ),
      ).toBe(false);
    });

    it("accepts a URL with credentials signed with or without them", async () => {
      const withCreds = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
      // as written
      expect(await verifyTwilioSignature(TOKEN, withCreds, LEGACY_PARAMS, "CukzLTc1tT5dXEDIHm/tKBanW10=")).toBe(true);
      // with :443
      expect(await verifyTwilioSignature(TOKEN, withCreds, LEGACY_PARAMS, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=")).toBe(true);
      // credentials dropped
      expect(await verifyTwilioSignature(TOKEN, withCreds, LEGACY_PARAMS, LEGACY_SIGNATURE)).toBe(true);
    });

    it("tries a trailing slash only when asked (Media Streams handshakes)", async () => {
      const wss = "wss://voice.example.com/twilio/media";
      const signedWithSlash = await twilioSignature(TOKEN, `${wss}/`);
      expect(await verifyTwilioSignature(TOKEN, wss, {}, signedWithSlash)).toBe(false);
      expect(await verifyTwilioSignature(TOKEN, wss, {}, signedWithSlash, { trailingSlash: true })).toBe(true);
      expect(
        await verifyTwilioSignature(TOKEN, wss, {}, await twilioSignature(TOKEN, wss), { trailingSlash: true }),
      ).toBe(true);
    });

    it("lists the variants, the URL as given first", () => {
      expect(signedUrlVariants("https://a.example/p?q=1")).toEqual([
        "https://a.example/p?q=1",
        "https://a.example:443/p?q=1",
      ]);
      expect(signedUrlVariants("https://a.example:8443/p")).toEqual([
        "https://a.example:8443/p",
        "https://a.example/p",
      ]);
      expect(signedUrlVariants("wss://a.example/m", { trailingSlash: true })).toEqual([
        "wss://a.example/m",
        "wss://a.example:443/m",
        "wss://a.example/m/",
        "wss://a.example:443/m/",
      ]);
      expect(signedUrlVariants("wss://a.example", { trailingSlash: true })).toContain("wss://a.example/");
      expect(signedUrlVariants("https://a.example/p/?q=1", { trailingSlash: true })).toEqual([
        "https://a.example/p/?q=1",
        "https://a.example:443/p/?q=1",
      ]);
      expect(signedUrlVariants("http://[::1]:8080/x")).toEqual(["http://[::1]:8080/x", "http://[::1]/x"]);
      expect(signedUrlVariants("not a url")).toEqual(["not a url"]);
    });
  });
});
