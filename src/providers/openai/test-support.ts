/** Shared by this folder's tests only (never imported by runtime code). */
import type { RecordedRequest } from "../../../test/helpers/outbound";
import { openAiSettingsSchema, type OpenAiSettings } from "./settings";

export const TEST_KEY = "sk-test-0123456789abcdef";

/** Settings as the module would parse them from these vars/secrets. */
export function settingsFrom(env: Record<string, string> = {}): OpenAiSettings {
  return openAiSettingsSchema.parse({ OPENAI_API_KEY: TEST_KEY, ...env });
}

/** Decodes a recorded multipart/form-data body the way a server would. */
export function formOf(req: RecordedRequest): Promise<FormData> {
  return new Request("https://decode.invalid/", { method: "POST", headers: req.headers, body: req.body }).formData();
}

export async function fileBytes(value: File | string | null): Promise<Uint8Array> {
  if (!(value instanceof File)) throw new Error("expected a file part");
  return new Uint8Array(await value.arrayBuffer());
}

/** A minimal MP3: an empty ID3v2.4 tag followed by one MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz). */
export const MP3_BYTES = Uint8Array.from([
  0x49,
  0x44,
  0x33,
  4,
  0,
  0,
  0,
  0,
  0,
  0,
  0xff,
  0xfb,
  0x90,
  0x64,
  ...new Array<number>(40).fill(0),
]);
