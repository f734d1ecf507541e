import type { HistoryEntry, SessionRecord } from "../call/records";

/**
 * The cold copy of a call: transcript.json in R2, next to the audio it lists. Version 2 keeps all of
 * a call's audio pieces in one bundle object (`key` is the bundle, `offset` where the piece
 * starts): one R2 write a call instead of one a piece. Version 1 archives have one object per
 * piece (no `offset`) and are read as they are. Version 3 stores no recording.wav (recordingKey
 * null): the recording is built from the pieces when asked for; and a reply spoken from the
 * speech cache is listed by reference (`ref`: the cache entry and the words), not copied: its audio
 * is read back from the cache, or synthesized again once the entry has expired
 * (src/pipeline/recording.ts). A call with no caller audio then has no bundle at all.
 * Version 4 is ONE object per call: transcript.json holds the transcript and, after it, the stored
 * audio (src/storage/archive-container.ts); its pieces are `inline`, at `offset` in that audio. One
 * R2 write a call, and the archive is complete or absent, never half there.
 */
/** A reply archived by reference: its speech cache entry, and the words to synthesize it again. */
export interface ReplyRef {
  cacheKey: string;
  text: string;
  language: string;
}

export interface CallArchive {
  version: 1 | 2 | 3 | 4;
  archivedAt: string;
  session: SessionRecord;
  history: HistoryEntry[];
  audio: ArchivedPiece[];
  recordingKey: string | null;
}

interface PieceFormat {
  turnId: string;
  kind: "caller" | "reply";
  mediaType: string;
  format: string;
  sampleRate: number;
}

export type ArchivedPiece =
  | (PieceFormat & { key: string; offset?: number; bytes: number })
  | (PieceFormat & { inline: true; offset: number; bytes: number })
  | (PieceFormat & { ref: ReplyRef });
