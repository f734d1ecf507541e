import { errorMessage } from "../lib/errors";
import { log } from "./log";
import { addGlobal, httpError, ttsCacheResult } from "./metrics-global";

/** Metric hooks of requests outside a call: error answers and stateless speech. */

/** Where an update goes when nothing waits for it: the invocation's waitUntil. */
export type WaitUntil = { waitUntil(p: Promise<unknown>): void };

/** Runs a metric update; a failing one is logged, never thrown into the request it counts. */
export function guarded(event: string, f: () => void): void {
  try {
    f();
  } catch (err) {
    log("metrics_hook_failed", { hook: event, message: errorMessage(err) }, "warn");
  }
}

/** An error answer, by problem code (every problem response passes through http/app.ts). */
export function recordHttpError(env: Env, ctx: WaitUntil, status: number, code: string): void {
  if (status >= 400) guarded("http_error", () => addGlobal(env, ctx, httpError(status, code)));
}

/** A synthesis outside a call (POST /voice/synthesize) that consulted the speech cache. */
export function recordTtsCache(env: Env, ctx: WaitUntil, result: "hit" | "miss"): void {
  guarded("tts_cache", () => addGlobal(env, ctx, ttsCacheResult(result)));
}
