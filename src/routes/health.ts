import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { asApiError } from "../errors";
import { sttChain, ttsChain } from "../providers/registry";
import { healthSnapshot } from "../routing/health-registry";

const Check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const Ready = z
  .object({ status: z.enum(["ready", "degraded", "unavailable"]), checks: z.record(z.string(), Check) })
  .openapi("Readiness");

async function probe(fn: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message.slice(0, 200) : "failed" };
  }
}

/** A provider chain as a readiness check: its names when it builds, the reason when it does not. */
function chainCheck(build: () => { name: string }[], emptyDetail: string): z.infer<typeof Check> {
  try {
    const chain = build();
    return chain.length ? { ok: true, detail: chain.map((p) => p.name).join(", ") } : { ok: false, detail: emptyDetail };
  } catch (err) {
    const api = asApiError(err);
    if (!api) throw err;
    return { ok: false, detail: api.detail };
  }
}

/** Open breakers this isolate knows of; calls skip those provider-regions until they half-open. */
function breakerCheck(): z.infer<typeof Check> {
  const open = healthSnapshot().filter((h) => h.breaker.state !== "closed");
  return open.length ? { ok: false, detail: open.map((h) => `${h.key} ${h.breaker.state}`).join(", ") } : { ok: true };
}

export function healthRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["health"],
      summary: "Liveness",
      responses: { 200: { description: "Alive", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } } },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/readyz",
      tags: ["health"],
      summary: "Readiness: storage bindings and providers",
      responses: {
        200: { description: "Ready or degraded", content: { "application/json": { schema: Ready } } },
        503: { description: "Unavailable", content: { "application/json": { schema: Ready } } },
      },
    }),
    async (c) => {
      const checks: Record<string, z.infer<typeof Check>> = {
        d1: await probe(() => c.env.DB.prepare("SELECT 1").first()),
        r2: await probe(() => c.env.ARCHIVE.head("readyz-probe")),
        stt: chainCheck(() => sttChain(c.env, c.var.config), "no speech-to-text provider configured: audio with speech is refused (keypad tones and text work)"),
        tts: chainCheck(() => ttsChain(c.env, c.var.config), "no text-to-speech provider configured: replies are text only"),
        breakers: breakerCheck(),
      };
      const storageOk = checks.d1?.ok && checks.r2?.ok;
      const status: z.infer<typeof Ready>["status"] = !storageOk ? "unavailable" : Object.values(checks).every((x) => x.ok) ? "ready" : "degraded";
      return c.json({ status, checks }, status === "unavailable" ? 503 : 200);
    },
  );
  return app;
}
