import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { tenant } from "../helpers/api";
import { fetchWithSettings } from "../helpers/objects";

const POLLY = {
  TTS_PROVIDERS: "polly",
  POLLY_REGIONS: "us-east-1,eu-central-1,ap-northeast-1",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const CITIES = {
  frankfurt: { latitude: "50.11", longitude: "8.68", continent: "EU", country: "DE" },
  tokyo: { latitude: "35.68", longitude: "139.69", continent: "AS", country: "JP" },
  virginia: { latitude: "38.95", longitude: "-77.45", continent: "NA", country: "US" },
};
const MP3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64, ...new Array(400).fill(0)]);

async function synthesizeFrom(cf: Record<string, string>, key: string, vars: Record<string, string> = POLLY) {
  const req = new Request("http://voice-edge.test/api/v1/voice/synthesize", {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ text: `Hello ${Math.random()}`, format: "mp3" }),
    cf,
  });
  return fetchWithSettings(vars, req);
}

beforeEach(() => resetHealthForTests());
afterEach(() => vi.restoreAllMocks());

describe("geography-aware provider regions", () => {
  it.each([
    ["frankfurt", "eu-central-1"],
    ["tokyo", "ap-northeast-1"],
    ["virginia", "us-east-1"],
  ] as const)("serves a caller in %s from %s", async (city, region) => {
    const { key } = await tenant();
    const hosts: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      hosts.push(new URL(new Request(input, init).url).host);
      return new Response(MP3, { headers: { "Content-Type": "audio/mpeg", "x-amzn-RequestCharacters": "10" } });
    });
    const res = await synthesizeFrom(CITIES[city], key);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("X-Voice-Region")).toBe(region);
    expect(hosts).toEqual([`polly.${region}.amazonaws.com`]);
  });

  it("fails over to the next nearest region when the nearest one is down", async () => {
    const { key } = await tenant();
    const hosts: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const host = new URL(new Request(input, init).url).host;
      hosts.push(host);
      if (host.includes("eu-central-1"))
        return new Response(JSON.stringify({ message: "down" }), {
          status: 503,
          headers: { "x-amzn-ErrorType": "ServiceFailureException" },
        });
      return new Response(MP3, { headers: { "Content-Type": "audio/mpeg", "x-amzn-RequestCharacters": "10" } });
    });
    const res = await synthesizeFrom(CITIES.frankfurt, key);
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Voice-Region")).toBe("us-east-1");
    expect(hosts[0]).toBe("polly.eu-central-1.amazonaws.com");
    expect(hosts.at(-1)).toBe("polly.us-east-1.amazonaws.com");
  });

  it("refuses a malformed region in the list by name", async () => {
    const { key } = await tenant();
    const res = await synthesizeFrom(CITIES.frankfurt, key, { ...POLLY, POLLY_REGIONS: "us-east-1,Mars North" });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toContain("POLLY_REGION");
  });
});
