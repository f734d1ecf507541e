import { describe, expect, it } from "vitest";
import { api, expectProblem, startCall, tenant } from "../helpers/api";

// Issue 21: query numbers are plain decimal integers. z.coerce took hex, exponents and padding.
describe("numbers in query strings", () => {
  it("accept plain decimal digits only", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const turn = (query: string) =>
      api(`/api/v1/calls/${callId}/turns?${query}`, { method: "POST", key, json: { text: "hello" } });
    for (const bad of [
      "sampleRate=0x3E80",
      "sampleRate=1.6e4",
      "sampleRate=%2016000",
      "sampleRate=+16000",
      "sampleRate=016000",
    ])
      await expectProblem(await turn(`format=pcm&${bad}`), 400, "invalid_request");
    expect((await turn("format=pcm&sampleRate=16000")).status).toBe(200);
    for (const bad of ["limit=1e2", "limit=0x10", "limit=10.0", "limit="])
      await expectProblem(await api(`/api/v1/calls?${bad}`, { key }), 400, "invalid_request");
    expect((await api("/api/v1/calls?limit=5", { key })).status).toBe(200);
    await expectProblem(await api("/api/v1/agents?limit=1e1", { key }), 400, "invalid_request");
  });
});
