import { concatBytes } from "../../lib/bytes";
import { base64ToBytes } from "../../lib/base64";
import { kindForStatus, ProviderError } from "../errors";
import { invalidResponse, PROVIDER } from "./errors";

function fromBase64(text: string): Uint8Array {
  try {
    return base64ToBytes(text);
  } catch {
    throw invalidResponse("the audio answer is a string that is not base64");
  }
}

/**
 * The bytes of a binary model answer. The Aura models' binding answer is a ReadableStream
 * (https://developers.cloudflare.com/workers-ai/models/aura-2-en/, "Output"), while the typed schema
 * calls it a string and other audio models answer `{audio: base64}`; all of these, and a Response
 * (what `returnRawResponse` yields), are read here so a change of shape is not a failure.
 */
export async function outputBytes(output: unknown): Promise<Uint8Array> {
  if (output instanceof Uint8Array) return output;
  if (output instanceof ArrayBuffer) return new Uint8Array(output);
  if (output instanceof Response) {
    if (!output.ok) {
      const body = (await output.text().catch(() => "")).slice(0, 300);
      throw new ProviderError(
        PROVIDER,
        kindForStatus(output.status),
        `HTTP ${output.status} from the AI binding${body ? `: ${body}` : ""}`,
        { status: output.status },
      );
    }
    return new Uint8Array(await output.arrayBuffer());
  }
  if (output instanceof ReadableStream) {
    const reader = (output as ReadableStream<Uint8Array>).getReader();
    const pieces: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return concatBytes(pieces);
      pieces.push(value);
    }
  }
  if (typeof output === "string") return fromBase64(output);
  if (typeof output === "object" && output !== null && typeof (output as { audio?: unknown }).audio === "string") {
    return fromBase64((output as { audio: string }).audio);
  }
  throw invalidResponse(`the audio answer is ${Object.prototype.toString.call(output)}, not audio bytes`);
}
