import { AsyncLocalStorage } from "node:async_hooks";
import type { Context, Tracer } from "@opentelemetry/api";

/**
 * What one invocation (a Worker request, a Durable Object RPC or alarm) knows about itself, kept
 * in AsyncLocalStorage so any code it runs can log and trace without threading arguments through:
 * the ids every log line carries, the active span (when tracing is on) and the log sink's buffer
 * (when a sink is configured). Module-private storage, no global OpenTelemetry registration: two
 * invocations in one isolate (or two test files in one isolate) never see each other's state.
 */
export interface ObsScope {
  requestId?: string | undefined;
  traceId?: string | undefined;
  tenantId?: string | undefined;
  callId?: string | undefined;
  /** Present only while tracing is on: the invocation's tracer and the active span's context. */
  trace?: { tracer: Tracer; ctx: Context } | undefined;
  /** Present only while a log sink is configured: this invocation's lines, posted when it ends. */
  sink?: string[] | undefined;
}

const storage = new AsyncLocalStorage<ObsScope>();

export function currentScope(): ObsScope | undefined {
  return storage.getStore();
}

/** Runs fn in a scope that extends the current one with `patch`. */
export function withScope<T>(patch: ObsScope, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...patch }, fn);
}

/** Adds what was learned midway (the tenant after authentication) to the current scope. */
export function annotateScope(fields: Pick<ObsScope, "tenantId" | "callId">): void {
  const scope = storage.getStore();
  if (!scope) return;
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (scope as Record<string, unknown>)[k] = v;
}

/** Runs fn in a fresh scope (a new invocation: nothing inherited). */
export function runScope<T>(scope: ObsScope, fn: () => T): T {
  return storage.run(scope, fn);
}
