import { describe, expect, it } from "vitest";
import { fakeFetch } from "../../test/helpers/outbound";
import { ProviderError } from "./errors";
import { providerFetch, readJson } from "./http";

const KEY = "sk-http-test-key-0123456789abcdef";
const init = { method: "POST", headers: { Authorization: `Bearer ${KEY}` } };
const options = (fetcher: typeof fetch) => ({ provider: "test", timeoutMs: 5000, fetcher });

describe("providerFetch quoting a provider's answer", () => {
  it("masks the request's credentials in an error body, even where the quote is cut short", async () => {
    // The key starts 10 characters before the 500-character cut: masking after the cut would leave 10 of them.
    const body = `${"x".repeat(490)}${KEY} echoed`;
    const { fetcher } = fakeFetch(new Response(body, { status: 400 }));
    const err = await providerFetch("https://api.example.com/v1/x", init, options(fetcher)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toContain(`${"x".repeat(490)}***`);
    expect((err as Error).message).not.toContain(KEY.slice(0, 10));
  });

  it("masks them in a 2xx answer that is not JSON", async () => {
    const { fetcher } = fakeFetch(new Response(`<html>Authorization: Bearer ${KEY}</html>`, { status: 200 }));
    const res = await providerFetch("https://api.example.com/v1/x", init, options(fetcher));
    const err = await readJson("test", res).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: "invalid_response",
      message: "test: answer is not JSON: <html>Authorization: ***</html>",
    });
  });
});
