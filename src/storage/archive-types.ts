import type { HistoryEntry, SessionRecord } from "../durable/call-types";

/** The cold copy of a call: transcript.json in R2, next to the audio objects it lists. */
export interface CallArchive {
  version: 1;
  archivedAt: string;
  session: SessionRecord;
  history: HistoryEntry[];
  audio: { turnId: string; kind: "caller" | "reply"; key: string; mediaType: string; format: string; sampleRate: number; bytes: number }[];
  recordingKey: string | null;
}
