import type { RequestRule } from "./tenant-limits";

/**
 * Where a tenant's request admission and call slots are decided: `TenantShard` objects
 * (src/durable/tenant-shard.ts) placed in the caller's region with a location hint, several per
 * region for a busy tenant, named `<tenant>|<region>|<index>`. Each leases tokens and call slots
 * from the tenant's one `TenantLimits` object in blocks, off the request's path, so a request
 * waits at most for an object near its caller (docs/architecture.md, "Tenant limits off the
 * turn's path").
 */

/** Durable Objects location hints (https://developers.cloudflare.com/durable-objects/reference/data-location/). */
export const SHARD_REGIONS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
/** Requests whose caller's region is unknown (no `request.cf`, local development): a shard without a hint. */
export const ANY_REGION = "any";

/**
 * Requests a second of the tenant's rate per shard of a region. Every isolate sends its shard
 * about 2 RPCs a second per key in use (verdicts) plus its leases (one per `leaseSize` requests),
 * about 8 a second for an isolate at 50 requests a second with 3 keys: 1,500 requests a second
 * make some 30 isolates, ~240 RPCs, well under the 500 a second no object should exceed even
 * where the isolates' random spread puts half as many again on one shard.
 */
const REQUESTS_PER_SHARD = 1_500;
const MAX_SHARDS_PER_REGION = 32;

/** How many shards each region has for a tenant with this rate: 1 below 1,500 requests a second. */
export function shardsPerRegion(rule: RequestRule): number {
  const perSecond = rule.perMinute / 60;
  return Math.min(MAX_SHARDS_PER_REGION, Math.max(1, Math.ceil(perSecond / REQUESTS_PER_SHARD)));
}

export function shardName(tenantId: string, region: string, index: number): string {
  return `${tenantId}|${region}|${index}`;
}

export interface ShardRef {
  tenantId: string;
  region: string;
  index: number;
}

/** A shard's parts, or undefined for a name not made by shardName. Tenant ids never hold `|`. */
export function parseShardName(name: string): ShardRef | undefined {
  const parts = name.split("|");
  if (parts.length !== 3) return undefined;
  const [tenantId, region, index] = parts as [string, string, string];
  if (!tenantId || !isRegion(region) || !/^\d{1,2}$/.test(index)) return undefined;
  return { tenantId, region, index: Number(index) };
}

export function isRegion(region: string): boolean {
  return region === ANY_REGION || (SHARD_REGIONS as readonly string[]).includes(region);
}

/**
 * This isolate's place among a region's shards: drawn once per isolate (not per request), so an
 * isolate's leases and key verdicts all go to one shard, and a region's isolates spread evenly.
 * Drawn on first use: Workers refuse random values in global scope.
 */
let isolateDraw: number | undefined;

export function isolateShardIndex(shards: number): number {
  isolateDraw ??= crypto.getRandomValues(new Uint32Array(1))[0]!;
  return isolateDraw % shards;
}

/** A call's slot shard within its region: a hash of its id (FNV-1a), the same for every retry of its create. */
export function callShardIndex(callId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < callId.length; i++) {
    h ^= callId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

/** The shard object, created (on first use) near its region when the region is known. */
export function tenantShard(env: Env, name: string): ReturnType<Env["TENANT_SHARD"]["get"]> {
  const region = parseShardName(name)?.region;
  const id = env.TENANT_SHARD.idFromName(name);
  return region && region !== ANY_REGION
    ? env.TENANT_SHARD.get(id, { locationHint: region as DurableObjectLocationHint })
    : env.TENANT_SHARD.get(id);
}
