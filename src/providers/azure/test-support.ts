/**
 * Shared pieces for this folder's tests: settings as the module would parse them, a fixture's
 * samples, a minimal Ogg Opus stream (the repository's Ogg fixture is Vorbis, which Azure refuses),
 * and Azure's answers for the adapter contract.
 */
import wav from "../../../test/fixtures/audio/balance-16k.wav";
import { pcm16ToSamples } from "../../audio/pcm";
import { parseWav } from "../../audio/wav";
import { FAILURES, type ContractFixture } from "../adapter-contract";
import { httpFixture, proxyPage } from "../adapter-contract-http";
import type { AzureSettings } from "./settings";

export const KEY = "azure-test-key-0123456789abcdef";

export const settings = (overrides: Partial<AzureSettings> = {}): AzureSettings => ({
  key: KEY,
  region: "westeurope",
  voice: "en-US-AvaMultilingualNeural",
  timeoutMs: 5000,
  ...overrides,
});

export function fixtureSamples(): { samples: Int16Array; sampleRate: number } {
  const parsed = parseWav(wav);
  return { samples: pcm16ToSamples(parsed.data, true), sampleRate: parsed.sampleRate };
}

/** One Ogg page (RFC 3533 §6): header, a one-entry segment table, then the packet. CRC left zero. */
function oggPage(headerType: number, granule: number, sequence: number, packet: Uint8Array): Uint8Array {
  const page = new Uint8Array(28 + packet.length);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  page[5] = headerType;
  view.setUint32(6, granule % 2 ** 32, true);
  view.setUint32(10, Math.floor(granule / 2 ** 32), true);
  view.setUint32(14, 0x1234, true); // stream serial
  view.setUint32(18, sequence, true);
  page[26] = 1;
  page[27] = packet.length;
  page.set(packet, 28);
  return page;
}

/**
 * An Ogg Opus stream of `seconds` with `channels` channels: OpusHead page, then a final page whose granule gives the
 * length.
 */
export function oggOpus(seconds: number, channels = 1): Uint8Array {
  const head = new Uint8Array(19);
  head.set(
    [..."OpusHead"].map((c) => c.charCodeAt(0)),
    0,
  );
  const view = new DataView(head.buffer);
  head[8] = 1; // version
  head[9] = channels;
  view.setUint16(10, 312, true); // pre-skip
  view.setUint32(12, 16000, true); // input sample rate (informational)
  const preSkip = 312;
  const first = oggPage(0x02, 0, 0, head);
  const last = oggPage(0x04, Math.round(seconds * 48000) + preSkip, 1, new Uint8Array([0xf8, 0xff, 0xfe]));
  const out = new Uint8Array(first.length + last.length);
  out.set(first, 0);
  out.set(last, first.length);
  return out;
}

/**
 * Azure for the adapter contract (src/providers/adapter-contract.ts). Azure answers errors with
 * the status and mostly an empty body (the REST references' "HTTP status codes"), some gateways
 * with text; unprocessable content is its documented 415, and a wrong path or region is a 404.
 */
export const contractFixtures: ContractFixture[] = [
  httpFixture({
    label: "resource key",
    timeoutVar: "AZURE_TIMEOUT_MS",
    vars: () => ({ AZURE_SPEECH_KEY: KEY, AZURE_SPEECH_REGION: "westeurope" }),
    secrets: [KEY],
    sendsRetryAfter: true,
    fail: (failure, message, headers) =>
      new Response(message, { status: failure === "unprocessable" ? 415 : FAILURES[failure].status, headers }),
    unusable: proxyPage,
  }),
];
