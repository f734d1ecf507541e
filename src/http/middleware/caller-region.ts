import type { Context } from "hono";
import type { AppEnv } from "../env";
import { locationHintFor, type CallerLocation } from "../../storage/location-hint";
import { ANY_REGION } from "../../security/tenant-shards";

/**
 * The region of the request's caller (a Durable Objects location hint, from `request.cf`), whose
 * tenant shard admits the request: the one nearest the caller. Unknown (no `cf`): ANY_REGION.
 */
export function callerRegion(c: Context<AppEnv>): string {
  return locationHintFor(c.req.raw.cf as CallerLocation | undefined) ?? ANY_REGION;
}
