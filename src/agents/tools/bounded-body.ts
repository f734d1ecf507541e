import { readAtMost } from "../../lib/bytes";

/**
 * Reading a tool server's answer without trusting it about its size: Content-Length may be absent
 * or wrong, so bytes are counted as they arrive and reading stops one chunk past the limit.
 */

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
  }
}

/** The whole body, or BodyTooLargeError as soon as more than `maxBytes` arrived (the rest is cancelled). */
export async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const bytes = await readAtMost(response.body, maxBytes);
  if (!bytes) throw new BodyTooLargeError(maxBytes);
  return bytes;
}

/**
 * The same response with a body that errors once more than `maxBytes` passed through it, for
 * readers we do not control (the MCP SDK reads JSON and event streams itself).
 */
export function boundedResponse(response: Response, maxBytes: number): Response {
  if (!response.body) return response;
  let total = 0;
  const limit = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > maxBytes) controller.error(new BodyTooLargeError(maxBytes));
      else controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(limit), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
