/**
 * Where each tier keeps a call. Every name is prefixed by the tenant so no lookup can cross
 * tenants, even with a guessed call id.
 */
export function callObjectName(tenantId: string, callId: string): string {
  return `${tenantId}:${callId}`;
}

export function callPrefix(tenantId: string, callId: string): string {
  return `tenants/${encodeURIComponent(tenantId)}/calls/${callId}/`;
}

export const coldKeys = {
  transcript: (tenantId: string, callId: string) => `${callPrefix(tenantId, callId)}transcript.json`,
  recording: (tenantId: string, callId: string) => `${callPrefix(tenantId, callId)}recording.wav`,
  /** All of a call's audio pieces, back to back (archive version 2). */
  audioBundle: (tenantId: string, callId: string) => `${callPrefix(tenantId, callId)}audio.bin`,
  /** One piece per object (archive version 1, still read). */
  turnAudio: (tenantId: string, callId: string, turnId: string, kind: string, ext: string) =>
    `${callPrefix(tenantId, callId)}audio/${turnId}-${kind}.${ext}`,
};
