import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { asApiError } from "../../lib/errors";
import { sttChain, ttsChain } from "../../providers/registry";
import { healthSnapshot } from "../../routing/health-registry";
import type { ProbeMode } from "../../routing/probe";
import { readProbes, type StoredProbe } from "../../routing/probe-store";
import { archiveKeyringState } from "../../storage/encryption";

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
    return chain.length
      ? { ok: true, detail: chain.map((p) => p.name).join(", ") }
      : { ok: false, detail: emptyDetail };
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

/**
 * The last active probes (shared by every isolate through D1): failing when a fresh result
 * (under 15 minutes old) failed; stale results are listed but do not fail the check.
 */
async function probesCheck(db: D1Database, mode: ProbeMode): Promise<z.infer<typeof Check>> {
  let probes: StoredProbe[];
  try {
    probes = await readProbes(db);
  } catch {
    return mode === "off"
      ? { ok: true, detail: "probing off" }
      : { ok: false, detail: "the probe results could not be read from D1" };
  }
  const label = (p: StoredProbe) => `${p.provider}@${p.region} ${p.kind}`;
  const failing = probes.filter((p) => !p.ok && !p.stale);
  const stale = probes.filter((p) => p.stale);
  const fresh = probes.length - stale.length;
  const parts: string[] = [];
  if (failing.length)
    parts.push(`failing: ${failing.map((p) => `${label(p)} (${p.status ?? p.errorKind ?? "failed"})`).join(", ")}`);
  if (fresh - failing.length > 0) parts.push(`${fresh - failing.length} ok`);
  if (stale.length) parts.push(`stale (older than 15 min): ${stale.map(label).join(", ")}`);
  if (!probes.length) parts.push(mode === "off" ? "probing off" : "no probe results yet");
  else if (mode === "off") parts.push("probing off");
  return { ok: failing.length === 0, detail: parts.join("; ").slice(0, 500) };
}

/**
 * Encryption at rest: ARCHIVE_KEYS parses and its current key imports. Without it nothing can be
 * archived (ended calls wait in their Durable Objects) or read back from R2, so it counts as
 * storage. Key ids are not secret and show which key new writes use after a rotation.
 */
async function encryptionCheck(env: Env): Promise<z.infer<typeof Check>> {
  const state = archiveKeyringState(env);
  if (!state.ok) {
    return {
      ok: false,
      detail: `${state.problem}: archives cannot be written (ended calls wait in their Durable Objects) or read back`,
    };
  }
  const { keyring } = state;
  const imported = await probe(() => keyring.cryptoKey(keyring.currentKid) as Promise<CryptoKey>);
  if (!imported.ok)
    return {
      ok: false,
      detail: `ARCHIVE_KEYS: the current key '${keyring.currentKid}' does not import as an AES-256-GCM key`,
    };
  return {
    ok: true,
    detail:
      `AES-256-GCM; new writes use key '${keyring.currentKid}' ` +
      `(${keyring.kids.length} key${keyring.kids.length === 1 ? "" : "s"})`,
  };
}

export function healthRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["health"],
      summary: "Liveness",
      responses: {
        200: {
          description: "Alive",
          content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
        },
      },
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
        encryption: await encryptionCheck(c.env),
        stt: chainCheck(
          () => sttChain(c.env, c.var.config),
          "no speech-to-text provider configured: audio with speech is refused (keypad tones and text work)",
        ),
        tts: chainCheck(
          () => ttsChain(c.env, c.var.config),
          "no text-to-speech provider configured: replies are text only",
        ),
        breakers: breakerCheck(),
        probes: await probesCheck(c.env.DB, c.var.config.PROVIDER_PROBES),
      };
      const storageOk = checks.d1?.ok && checks.r2?.ok && checks.encryption?.ok;
      const status: z.infer<typeof Ready>["status"] = !storageOk
        ? "unavailable"
        : Object.values(checks).every((x) => x.ok)
          ? "ready"
          : "degraded";
      return c.json({ status, checks }, status === "unavailable" ? 503 : 200);
    },
  );
  return app;
}
