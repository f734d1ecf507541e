/**
 * Data residency: where a call's data may live and which provider regions may hear it. `"eu"`
 * keeps the call's Durable Object in the EU jurisdiction, its archive in the EU-jurisdiction R2
 * bucket and its speech in EU provider regions; `null` means no restriction.
 */
export type Residency = "eu";
export const RESIDENCIES = ["eu"] as const satisfies readonly Residency[];
