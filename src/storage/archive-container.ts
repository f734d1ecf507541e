import { concatBytes } from "../lib/bytes";
import type { CallArchive } from "./archive-types";

/**
 * The plaintext of a version 4 archive object (before encryption): the transcript and the call's
 * stored audio in one body, so archiving a call is one R2 write.
 *
 *   "VEA4"  4 bytes, never the start of a JSON text (which starts with "{")
 *   n       4 bytes, unsigned big-endian: the length of the JSON that follows
 *   JSON    n bytes of UTF-8: the CallArchive; its inline pieces give offsets into the audio
 *   audio   the rest: the pieces back to back
 *
 * Older archives (versions 1 to 3) are the JSON alone and are read as they are.
 */
const MAGIC = [0x56, 0x45, 0x41, 0x34]; // "VEA4"
const HEADER_BYTES = 8;

export const ARCHIVE_CONTENT_TYPE = "application/vnd.voice-edge.archive";

/** The object body: header, transcript, then the audio pieces in the order the archive lists them. */
export function encodeArchive(archive: CallArchive, audio: readonly Uint8Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(archive));
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  new DataView(header.buffer).setUint32(4, json.byteLength);
  return concatBytes([header, json, ...audio]);
}

export class ArchiveFormatError extends Error {}

/** The archive and its audio section (empty for the JSON-only versions). */
export function decodeArchive(plain: Uint8Array): { archive: CallArchive; audio: Uint8Array } {
  if (!MAGIC.every((b, i) => plain[i] === b)) {
    return { archive: JSON.parse(new TextDecoder().decode(plain)) as CallArchive, audio: new Uint8Array(0) };
  }
  if (plain.byteLength < HEADER_BYTES) throw new ArchiveFormatError("archive object is truncated");
  const length = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(4);
  const end = HEADER_BYTES + length;
  if (end > plain.byteLength) throw new ArchiveFormatError("archive object is truncated");
  return {
    archive: JSON.parse(new TextDecoder().decode(plain.subarray(HEADER_BYTES, end))) as CallArchive,
    audio: plain.subarray(end),
  };
}
