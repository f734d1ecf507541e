import { describe, expect, it } from "vitest";
import flac from "../../../test/fixtures/audio/balance-16k.flac";
import ogg from "../../../test/fixtures/audio/balance-16k.ogg";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { pcm16ToSamples } from "../../audio/pcm";
import { resample } from "../../audio/resample";
import { parseWav } from "../../audio/wav";
import type { SttInput } from "../types";
import { DeepgramSpeechToText } from "./stt";
import { fixtureSamples, KEY, LISTEN_ANSWER, settings } from "./test-support";

async function send(input: SttInput, overrides = {}) {
  const { fetcher, requests } = fakeFetch(jsonResponse(LISTEN_ANSWER));
  await new DeepgramSpeechToText(settings(overrides), { fetcher }).transcribe(input);
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

describe("deepgram stt: the request on the wire", () => {
  it("POSTs PCM as a WAV file (no encoding/sample_rate params) to /v1/listen with the Token header", async () => {
    const { samples, sampleRate } = fixtureSamples();
    const req = await send({ kind: "pcm", samples, sampleRate, language: "en-US" });
    expect(req.method).toBe("POST");
    expect(req.url.origin).toBe("https://api.deepgram.com");
    expect(req.url.pathname).toBe("/v1/listen");
    expect([...req.url.searchParams]).toEqual([
      ["model", "nova-3"],
      ["smart_format", "true"],
      ["language", "en-US"],
    ]);
    expect(req.headers.get("Authorization")).toBe(`Token ${KEY}`);
    expect(req.headers.get("Content-Type")).toBe("audio/wav");
    const sent = parseWav(req.body);
    expect(sent).toMatchObject({ encoding: "pcm16", sampleRate: 16000, channels: 1 });
    expect(pcm16ToSamples(sent.data, true)).toEqual(samples);
  });

  it("keeps the caller's rate (8 kHz telephone audio is not resampled)", async () => {
    const at8k = resample(fixtureSamples().samples, 16000, 8000);
    const sent = parseWav((await send({ kind: "pcm", samples: at8k, sampleRate: 8000, language: "en-US" })).body);
    expect(sent.sampleRate).toBe(8000);
    expect(pcm16ToSamples(sent.data, true)).toEqual(at8k);
  });

  it.each([
    ["ogg", ogg, "audio/ogg"],
    ["flac", flac, "audio/flac"],
    ["webm", new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3]), "audio/webm;codecs=opus"],
  ] as const)("passes %s through as it is, with its media type", async (container, bytes, mediaType) => {
    const req = await send({ kind: "container", container, mediaType, bytes, language: "de-DE" });
    expect(req.headers.get("Content-Type")).toBe(mediaType);
    expect(req.body).toEqual(bytes);
    expect(req.url.searchParams.get("language")).toBe("de");
  });

  it("uses the EU endpoint and the configured model", async () => {
    const req = await send(
      { kind: "pcm", samples: new Int16Array(160), sampleRate: 8000, language: "en-GB" },
      { region: "eu", sttModel: "nova-2-phonecall" },
    );
    expect(req.url.origin).toBe("https://api.eu.deepgram.com");
    expect(req.url.searchParams.get("model")).toBe("nova-2-phonecall");
    expect(req.url.searchParams.get("language")).toBe("en-GB");
    expect(req.url.toString()).not.toContain(KEY);
  });
});
