import { createApp } from "./app";
import { runRetention } from "./storage/retention";

export { CallSession } from "./durable/call-session";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runRetention(env, new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env>;
