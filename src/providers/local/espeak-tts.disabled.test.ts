// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from "vitest";
import { LocalSpeechSynthesizer } from "./espeak-tts.disabled";

describe("the stand-in for builds without eSpeak NG", () => {
  const stub = new LocalSpeechSynthesizer();
  const req = { text: "Your balance is one hundred dollars", language: "en-US", sampleRate: 8000 };

  it("keeps the real engine's name, region and encodings, so TTS_PROVIDERS=local still parses", () => {
    expect([stub.name, stub.region, stub.encodings]).toEqual(["local", "edge", ["pcm"]]);
  });

  it("fails with a plain Error, which the pipeline counts as the engine failing and fails over from", async () => {
    // A TypeError or RangeError would be taken for a bug and rethrown; a named refusal
    // (UnsupportedLanguageError) would not count against the engine.
    const err = await stub.synthesize(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
    expect((err as Error).name).toBe("Error");
  });

  it("tells the deployer what to change", async () => {
    await expect(stub.synthesize(req)).rejects.toThrow(/not included in this build.*TTS_PROVIDERS/);
  });
});
