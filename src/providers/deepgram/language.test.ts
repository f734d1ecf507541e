import { describe, expect, it } from "vitest";
import { deepgramLanguage } from "./language";

describe("deepgram language codes", () => {
  it.each([
    ["en-US", "en-US"],
    ["en-us", "en-US"],
    ["en_GB", "en-GB"],
    ["pt-BR", "pt-BR"],
    ["zh-hant", "zh-Hant"],
    ["es-419", "es-419"],
    ["de-DE", "de"], // Nova-3 documents "de", not "de-DE"
    ["fr-FR", "fr"],
    ["es-MX", "es"],
    ["ja-JP", "ja"],
    ["en", "en"],
    ["multi", "multi"], // Nova-3's multilingual code passes through
  ])("%s -> %s", (tag, expected) => {
    expect(deepgramLanguage(tag)).toBe(expected);
  });
});
