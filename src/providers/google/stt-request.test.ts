import { describe, expect, it } from "vitest";
import { AudioError } from "../../audio/errors";
import { samplesToPcm16 } from "../../audio/pcm";
import flac from "../../../test/fixtures/audio/balance-16k.flac";
import vorbis from "../../../test/fixtures/audio/balance-16k.ogg";
import { fakeFetch, jsonResponse, type RecordedRequest } from "../../../test/helpers/outbound";
import { base64ToBytes } from "../../lib/base64";
import { GoogleSpeechToText } from "./stt";
import { API_KEY, apiKeySettings, containerInput, oggOpus, pcmInput, tone, webmAudio } from "./test-support";

interface RecognizeBody {
  config: Record<string, unknown>;
  audio: { content: string };
}

const ANSWER = { results: [{ alternatives: [{ transcript: "what is my balance", confidence: 0.93 }] }] };

async function send(input: Parameters<GoogleSpeechToText["transcribe"]>[0], settings = apiKeySettings()) {
  const outbound = fakeFetch(jsonResponse(ANSWER));
  const stt = new GoogleSpeechToText(settings, { fetcher: outbound.fetcher });
  await stt.transcribe(input);
  expect(outbound.requests).toHaveLength(1);
  const req = outbound.requests[0]!;
  return { req, body: req.json<RecognizeBody>() };
}

function expectRecognizeCall(req: RecordedRequest, host = "speech.googleapis.com") {
  expect(req.method).toBe("POST");
  expect(req.url.protocol).toBe("https:");
  expect(req.url.host).toBe(host);
  expect(req.url.pathname).toBe("/v1/speech:recognize");
  expect(req.url.search).toBe(""); // the API key travels in a header, never in the URL
  expect(req.headers.get("x-goog-api-key")).toBe(API_KEY);
  expect(req.headers.get("authorization")).toBeNull();
  expect(req.headers.get("content-type")).toBe("application/json; charset=utf-8");
}

describe("Google STT request: PCM", () => {
  it(
    "sends 16 kHz PCM as base64 LINEAR16 at its own rate with " +
      "latest_short, punctuation, word times and confidences",
    async () => {
      const samples = tone(1.5, 16000);
      const { req, body } = await send(pcmInput(samples, 16000));
      expectRecognizeCall(req);
      expect(body.config).toEqual({
        encoding: "LINEAR16",
        sampleRateHertz: 16000,
        languageCode: "en-US",
        model: "latest_short",
        enableAutomaticPunctuation: true,
        enableWordTimeOffsets: true,
        enableWordConfidence: true,
      });
      // Headerless little-endian 16-bit samples, exactly ours.
      expect(base64ToBytes(body.audio.content)).toEqual(samplesToPcm16(samples, true));
      expect(Object.keys(body).sort()).toEqual(["audio", "config"]);
    },
  );

  it(
    "picks the phone_call model for 8 kHz telephony audio " + "and keeps it LINEAR16 (lossless, no re-companding)",
    async () => {
      const samples = tone(1, 8000);
      const { body } = await send(pcmInput(samples, 8000, "en-GB"));
      expect(body.config).toMatchObject({
        encoding: "LINEAR16",
        sampleRateHertz: 8000,
        model: "phone_call",
        languageCode: "en-GB",
      });
      expect(base64ToBytes(body.audio.content)).toEqual(samplesToPcm16(samples, true));
    },
  );

  it("uses GOOGLE_STT_MODEL for every request when it is set", async () => {
    const { body } = await send(pcmInput(tone(1, 8000), 8000), apiKeySettings({ sttModel: "latest_long" }));
    expect(body.config.model).toBe("latest_long");
  });

  it("resamples a rate Google does not take (outside 8000-48000 Hz) to 16 kHz", async () => {
    const { body } = await send(pcmInput(tone(1, 96000), 96000));
    expect(body.config.sampleRateHertz).toBe(16000);
    expect(base64ToBytes(body.audio.content).length).toBe(16000 * 2);
  });

  it("calls the regional hosts for GOOGLE_LOCATION=us and eu", async () => {
    const us = await send(pcmInput(tone(0.5, 16000), 16000), apiKeySettings({ location: "us" }));
    expectRecognizeCall(us.req, "us-speech.googleapis.com");
    const eu = await send(pcmInput(tone(0.5, 16000), 16000), apiKeySettings({ location: "eu" }));
    expectRecognizeCall(eu.req, "eu-speech.googleapis.com");
    expect(new GoogleSpeechToText(apiKeySettings({ location: "eu" })).region).toBe("eu");
  });
});

describe("Google STT request: containers", () => {
  it("declares the containers v1 takes: Ogg (Opus), WebM (Opus) and FLAC, not MP3", () => {
    expect([...new GoogleSpeechToText(apiKeySettings()).containers].sort()).toEqual(["flac", "ogg", "webm"]);
  });

  it("passes FLAC through untouched as FLAC, leaving the rate to its STREAMINFO header", async () => {
    const { req, body } = await send(containerInput("flac", flac));
    expectRecognizeCall(req);
    expect(body.config).toEqual({
      encoding: "FLAC",
      languageCode: "en-US",
      model: "latest_short",
      enableAutomaticPunctuation: true,
      enableWordTimeOffsets: true,
      enableWordConfidence: true,
    });
    expect(base64ToBytes(body.audio.content)).toEqual(flac);
  });

  it("sends Ogg Opus as OGG_OPUS at the rate its OpusHead declares, with the channel count for stereo", async () => {
    const ogg = oggOpus({ inputRate: 16000 });
    const mono = await send(containerInput("ogg", ogg));
    expect(mono.body.config).toMatchObject({ encoding: "OGG_OPUS", sampleRateHertz: 16000, model: "latest_short" });
    expect(mono.body.config).not.toHaveProperty("audioChannelCount");
    expect(base64ToBytes(mono.body.audio.content)).toEqual(ogg);

    const stereo = await send(containerInput("ogg", oggOpus({ channels: 2, inputRate: 48000 })));
    expect(stereo.body.config).toMatchObject({ encoding: "OGG_OPUS", sampleRateHertz: 48000, audioChannelCount: 2 });

    const narrowband = await send(containerInput("ogg", oggOpus({ inputRate: 8000 })));
    expect(narrowband.body.config).toMatchObject({ sampleRateHertz: 8000, model: "phone_call" });
  });

  it("sends WebM Opus as WEBM_OPUS at the OpusHead rate (48 kHz from a browser recorder)", async () => {
    const webm = webmAudio({ inputRate: 48000 });
    const { req, body } = await send(containerInput("webm", webm, "audio/webm;codecs=opus"));
    expectRecognizeCall(req);
    expect(body.config).toMatchObject({ encoding: "WEBM_OPUS", sampleRateHertz: 48000 });
    expect(base64ToBytes(body.audio.content)).toEqual(webm);
  });
});

describe("Google STT refusals (before any call)", () => {
  async function refused(input: Parameters<GoogleSpeechToText["transcribe"]>[0]): Promise<AudioError> {
    const outbound = fakeFetch(jsonResponse(ANSWER));
    const err = await new GoogleSpeechToText(apiKeySettings(), { fetcher: outbound.fetcher })
      .transcribe(input)
      .catch((e: unknown) => e);
    expect(outbound.requests).toHaveLength(0);
    expect(err).toBeInstanceOf(AudioError);
    return err as AudioError;
  }

  it("refuses Ogg Vorbis (the balance-16k.ogg fixture) with a 415 that says to send Ogg Opus", async () => {
    const err = await refused(containerInput("ogg", vorbis));
    expect(err.code).toBe("unsupported_media_type");
    expect(err.message).toMatch(/Vorbis/);
    expect(err.message).toMatch(/Opus/);
  });

  it("refuses WebM Vorbis and MP3", async () => {
    expect((await refused(containerInput("webm", webmAudio({ codecId: "A_VORBIS" })))).message).toMatch(
      /WebM only with the Opus codec/,
    );
    const mp3 = await refused(
      containerInput("mp3", new Uint8Array([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0]), "audio/mpeg"),
    );
    expect(mp3.code).toBe("unsupported_media_type");
    expect(mp3.message).toMatch(/MP3/);
  });

  it("refuses Opus declared at a rate Google does not take (44.1 kHz)", async () => {
    const err = await refused(containerInput("ogg", oggOpus({ inputRate: 44100 })));
    expect(err.code).toBe("unsupported_media_type");
    expect(err.message).toMatch(/44100 Hz/);
  });

  it("refuses audio longer than one minute as payload_too_large (PCM, Ogg granule, WebM duration)", async () => {
    expect((await refused(pcmInput(tone(61, 8000), 8000))).code).toBe("payload_too_large");
    expect((await refused(containerInput("ogg", oggOpus({ seconds: 61 })))).code).toBe("payload_too_large");
    expect((await refused(containerInput("webm", webmAudio({ durationMs: 75_000 })))).code).toBe("payload_too_large");
  });

  it("refuses a body that would push the request past 10 MB even when it is under a minute", async () => {
    const big = new Uint8Array(8_000_000);
    big.set(webmAudio());
    const err = await refused(containerInput("webm", big));
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toMatch(/10 MB/);
  });

  it("refuses 8-bit FLAC", async () => {
    const eightBit = flac.slice();
    // STREAMINFO bits-per-sample minus one spans the low bit of byte 20 and the high nibble of byte 21.
    eightBit[20] = eightBit[20]! & 0xfe;
    eightBit[21] = (7 << 4) | (eightBit[21]! & 0x0f);
    expect((await refused(containerInput("flac", eightBit))).message).toMatch(/8-bit/);
  });
});
