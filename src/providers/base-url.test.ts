import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseUrlFromList, checkBaseUrl, endpointId } from "./base-url";

const RULES = { example: "https://api.example.com", keySetting: "EXAMPLE_KEY" };

/** A schema reading a list the way the OpenAI adapter does: the list, and the entry the registry picked. */
const listSchema = z
  .object({ URLS: z.string(), URL: z.string().optional() })
  .transform((s, ctx) => baseUrlFromList(s.URLS, s.URL, ctx, "URLS", RULES) ?? z.NEVER);

describe("base URLs", () => {
  it.each([
    ["https://api.example.com", "https://api.example.com"],
    ["https://api.example.com/", "https://api.example.com"],
    ["https://api.example.com/v1/", "https://api.example.com"],
    ["https://gw.example.com/Deepgram/v1", "https://gw.example.com/Deepgram"],
    ["http://localhost:8080", "http://localhost:8080"],
    ["http://127.0.0.1:9000/v1", "http://127.0.0.1:9000"],
    ["http://[::1]:8080", "http://[::1]:8080"],
  ])("normalises %s to %s", (value, url) => {
    expect(checkBaseUrl(value, RULES)).toEqual({ url, problems: [] });
  });

  it.each([
    ["not a URL", "api.example.com", /absolute URL such as https:\/\/api\.example\.com/],
    ["plain http to another host", "http://10.0.0.5:8080", /https URL/],
    ["another scheme", "ws://localhost:8080", /https URL/],
    ["credentials", "https://user:hunter2@api.example.com", /credentials; put the key in EXAMPLE_KEY/],
    ["a query string", "https://api.example.com/?key=abc123", /query string/],
    ["a fragment", "https://api.example.com/#frag", /query string or fragment/],
  ])("refuses %s without quoting the value", (_label, value, message) => {
    const { problems } = checkBaseUrl(value, RULES);
    expect(problems.join("; ")).toMatch(message);
    expect(problems.join("; ")).not.toMatch(/hunter2|abc123|10\.0\.0\.5|example\.com\//);
  });

  it("names an endpoint by host, and path prefix when there is one", () => {
    expect(endpointId("https://api.openai.com")).toBe("api.openai.com");
    expect(endpointId("http://localhost:8080")).toBe("localhost:8080");
    expect(endpointId("https://gw.example.com/a")).toBe("gw.example.com/a");
  });

  it("takes the registry's lowercased entry back in the list's own spelling", () => {
    const urls = "http://127.0.0.1:9001/v1, https://gw.example.com/Whisper";
    expect(listSchema.parse({ URLS: urls, URL: "https://gw.example.com/whisper" })).toBe(
      "https://gw.example.com/Whisper",
    );
    expect(listSchema.parse({ URLS: urls, URL: "http://127.0.0.1:9001/v1" })).toBe("http://127.0.0.1:9001");
    expect(listSchema.parse({ URLS: urls })).toBe("http://127.0.0.1:9001"); // read directly: the first entry
  });

  it("refuses a bad entry by its position, and the same endpoint listed twice", () => {
    const issues = (URLS: string) =>
      listSchema.safeParse({ URLS }).error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues("https://a.example.com, http://b.example.com")).toEqual([
      "URLS: entry 2 must be an https URL (plain http is allowed only for localhost or 127.0.0.1)",
    ]);
    expect(issues("https://a.example.com/v1, https://b.example.com, https://A.example.com/")).toEqual([
      "URLS: entries 1 and 3 are the same endpoint; list each server once",
    ]);
  });
});
