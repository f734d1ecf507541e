/**
 * Fields both directions of the live stream's protocol share (protocol.ts, server-messages.ts):
 * the audio format and rate, keypad digits and the endpointing settings. Imports nothing but zod.
 */
import { z } from "zod";

export const STREAM_FORMATS = ["pcm16", "mulaw"] as const;
export const STREAM_SAMPLE_RATES = [8000, 16000, 24000] as const;

export const streamFormatSchema = z
  .enum(STREAM_FORMATS, { error: 'must be "pcm16" (little-endian 16-bit) or "mulaw" (G.711 µ-law)' })
  .describe("pcm16: little-endian mono signed 16-bit PCM; mulaw: G.711 µ-law bytes.");
export const streamSampleRateSchema = z
  .literal(STREAM_SAMPLE_RATES, { error: "must be 8000, 16000 or 24000 (Hz)" })
  .describe("Sample rate of the audio in both directions, Hz.");
export const dtmfDigit = /^[0-9*#A-D]$/;
export const dtmfDigits = /^[0-9*#A-D]{1,32}$/;

export type StreamFormat = z.infer<typeof streamFormatSchema>;
export type StreamSampleRate = z.infer<typeof streamSampleRateSchema>;

const THRESHOLD_RANGE = "must be a number from -80 to -10 (dBFS)";
const MIN_SPEECH_RANGE = "must be a whole number of milliseconds from 40 to 2000";
const END_SILENCE_RANGE = "must be a whole number of milliseconds from 200 to 3000";
export const thresholdDbfs = z
  .number({ error: THRESHOLD_RANGE })
  .min(-80, { error: THRESHOLD_RANGE })
  .max(-10, { error: THRESHOLD_RANGE })
  .describe("Frames louder than this (RMS, dB relative to full scale) count as speech.");
export const minSpeechMs = z
  .int({ error: MIN_SPEECH_RANGE })
  .min(40, { error: MIN_SPEECH_RANGE })
  .max(2000, { error: MIN_SPEECH_RANGE })
  .describe("Speech must last this long before speech_started (shorter sounds are clicks or noise).");
export const endSilenceMs = z
  .int({ error: END_SILENCE_RANGE })
  .min(200, { error: END_SILENCE_RANGE })
  .max(3000, { error: END_SILENCE_RANGE })
  .describe("This much silence after speech ends the caller's turn.");

export const vadSettingsSchema = z
  .strictObject(
    {
      thresholdDbfs: thresholdDbfs.default(-40),
      minSpeechMs: minSpeechMs.default(120),
      endSilenceMs: endSilenceMs.default(600),
    },
    { error: 'must be an object such as {"endSilenceMs": 800}' },
  )
  .describe("Voice activity detection (endpointing) settings; every field is optional.");

const MIN_WORDS_RANGE = "must be a whole number of words from 1 to 10";
const BARGE_IN_SPEECH_RANGE = "must be a whole number of milliseconds from 100 to 5000";
export const bargeInMinWords = z
  .int({ error: MIN_WORDS_RANGE })
  .min(1, { error: MIN_WORDS_RANGE })
  .max(10, { error: MIN_WORDS_RANGE })
  .describe("Words (not counting backchannels such as uh-huh, okay) that interrupt the reply.");
export const bargeInMinSpeechMs = z
  .int({ error: BARGE_IN_SPEECH_RANGE })
  .min(100, { error: BARGE_IN_SPEECH_RANGE })
  .max(5000, { error: BARGE_IN_SPEECH_RANGE })
  .describe("Speech this long interrupts the reply even before its words are known (unless they are a backchannel).");

export const bargeInSettingsSchema = z
  .strictObject(
    { minWords: bargeInMinWords.default(2), minSpeechMs: bargeInMinSpeechMs.default(600) },
    { error: 'must be an object such as {"minWords": 3}' },
  )
  .describe(
    "When caller speech interrupts a reply, with streaming speech-to-text (STT_STREAMING_PROVIDERS); " +
      "without it, any speech does. Every field is optional.",
  );
