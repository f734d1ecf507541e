import { describe, expect, it } from "vitest";
import { api } from "../test/helpers/api";

/**
 * client/openapi.json is the committed snapshot of the Worker's /openapi.json that
 * client/api-types.ts is generated from. This test fails (in CI, where snapshots are never
 * written) when a route or schema changed without regenerating the client: run
 * `npm run client:generate` and commit both files.
 */
describe("client/openapi.json", () => {
  it("matches the Worker's /openapi.json", async () => {
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    const spec: unknown = await res.json();
    await expect(JSON.stringify(spec, null, 2) + "\n").toMatchFileSnapshot("./openapi.json");
  });
});
