import type { HistoryEntry, SessionRecord } from "../durable/call-types";

/**
 * The cold copy of a call: transcript.json in R2, next to the audio it lists. Version 2 keeps all of
 * a call's audio pieces in one bundle object (`key` is the bundle, `offset` where the piece
 * starts): one R2 write a call instead of one a piece. Version 1 archives have one object per
 * piece (no `offset`) and are read as they are. Version 3 stores no recording.wav (recordingKey
 * null): the recording is built from the bundle when asked for.
 */
export interface CallArchive {
  version: 1 | 2 | 3;
  archivedAt: string;
  session: SessionRecord;
  history: HistoryEntry[];
  audio: { turnId: string; kind: "caller" | "reply"; key: string; offset?: number; mediaType: string; format: string; sampleRate: number; bytes: number }[];
  recordingKey: string | null;
}
