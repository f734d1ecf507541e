import { ApiError, errorMessage } from "../lib/errors";

import type { Residency } from "../call/residency";

/** The R2 bucket holding a call's cold tier (and the TTS cache of its tenant's speech). */
export function archiveBucket(env: Env, residency: Residency | null | undefined): R2Bucket {
  return residency === "eu" ? env.ARCHIVE_EU : env.ARCHIVE;
}

/** Every archive bucket, for jobs that sweep all of them (retention). */
export function archiveBuckets(env: Env): { residency: Residency | null; bucket: R2Bucket }[] {
  return [
    { residency: null, bucket: env.ARCHIVE },
    { residency: "eu", bucket: env.ARCHIVE_EU },
  ];
}

/**
 * The call objects' namespace for a residency: the EU jurisdiction for "eu", whose objects are
 * created and stored only in the EU (https://developers.cloudflare.com/durable-objects/reference/data-location/).
 *
 * workerd (wrangler dev, vitest) does not implement jurisdictions and throws. There, and only
 * when DEV_EMULATE_JURISDICTION=true says this is a development runtime, EU objects are kept
 * apart under an "eu/" name prefix in the plain namespace. In production the call works, and if it
 * ever failed the request fails too: an EU call is never quietly placed outside the jurisdiction.
 */
export function callNamespace(env: Env, residency: Residency | null | undefined): Env["CALL"] {
  if (residency !== "eu") return env.CALL;
  try {
    return env.CALL.jurisdiction("eu");
  } catch (err) {
    if (env.DEV_EMULATE_JURISDICTION === "true") return emulatedJurisdiction(env.CALL, "eu");
    throw new ApiError(
      503,
      "residency_unavailable",
      "EU-resident calls need Durable Objects in the EU jurisdiction, which this runtime does not provide.",
      {
        internal: errorMessage(err),
      },
    );
  }
}

function emulatedJurisdiction<T extends Rpc.DurableObjectBranded | undefined>(
  ns: DurableObjectNamespace<T>,
  jurisdiction: string,
): DurableObjectNamespace<T> {
  return new Proxy(ns, {
    get(target, prop, receiver) {
      if (prop === "idFromName") return (name: string) => target.idFromName(`${jurisdiction}/${name}`);
      if (prop === "newUniqueId" || prop === "idFromString" || prop === "jurisdiction") {
        return () => {
          throw new Error(`${String(prop)} is not emulated for jurisdiction '${jurisdiction}'; call objects are named`);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
