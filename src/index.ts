import { createApp } from "./app";
import { PROBE_CRON, runProbes } from "./routing/probe";
import { runRetention } from "./storage/retention";

export { CallSession } from "./durable/call-session";
export { TenantLimits } from "./durable/tenant-limits";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * Cron triggers (wrangler.toml [triggers]): the 5-minute one (PROBE_CRON) probes the configured
   * providers, unless PROVIDER_PROBES is off; the daily "17 3 * * *", and any other, runs retention.
   */
  async scheduled(controller, env, ctx) {
    const at = new Date(controller.scheduledTime);
    ctx.waitUntil(controller.cron === PROBE_CRON ? runProbes(env, at) : runRetention(env, at));
  },
} satisfies ExportedHandler<Env>;
