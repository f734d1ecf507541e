import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";

// Issue 21: an asterisk-form request target (`OPTIONS *`, `GET *`) has no URL. The Request
// constructor refuses one, so the test hands the Worker what the runtime would: a request whose
// url is "*".
describe("a request target that is not a URL", () => {
  it("is a 400 problem, not an uncaught exception", async () => {
    for (const method of ["OPTIONS", "GET"]) {
      const request = { method, url: "*", headers: new Headers() } as unknown as Request;
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, env, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(400);
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
      expect(res.headers.get("X-Request-Id")).toBeTruthy();
      expect(((await res.json()) as { code: string }).code).toBe("bad_request");
    }
  });
});
