import { expect } from "vitest";
import { ProviderError } from "../providers/errors";
import { AllProvidersFailedError } from "./attempts";
import { HealthRegistry, type HealthRegistryOptions } from "./health-registry";
import type { ProviderRef } from "./resilient-call";
import { VirtualClock } from "./test-support";

/** The resilience tests' harness (resilient-call*.test.ts): scripted providers on a virtual clock. */
export type Step = (signal: AbortSignal) => Promise<string>;

/** A virtual clock, a private registry on it, and providers that follow a script per name. */
export function resilienceHarness(registryOptions: HealthRegistryOptions = {}) {
  const clock = new VirtualClock();
  const registry = new HealthRegistry({ now: clock.now, ...registryOptions });
  const calls: { name: string; attempt: number; at: number; signal: AbortSignal }[] = [];
  const sleeps: number[] = [];
  const options = {
    deadlineMs: 8000,
    registry,
    now: clock.now,
    timeout: clock.timeout,
    random: () => 0.5,
    sleep: async (ms: number, signal?: AbortSignal) => {
      sleeps.push(ms);
      await clock.sleep(ms, signal);
    },
  };
  function caller(script: Record<string, Step[]>) {
    const used: Record<string, number> = {};
    return (p: ProviderRef, signal: AbortSignal, attempt: number): Promise<string> => {
      calls.push({ name: p.name, attempt, at: clock.now(), signal });
      const steps = script[p.name] ?? [];
      const i = used[p.name] ?? 0;
      used[p.name] = i + 1;
      const step = steps[Math.min(i, steps.length - 1)];
      if (!step) throw new Error(`no script for ${p.name}`);
      return step(signal);
    };
  }
  return { clock, registry, options, caller, calls, sleeps };
}

export const p = (name: string, region = "r1"): ProviderRef => ({ name, region });
export const ok =
  (value: string, ms = 100, clock?: VirtualClock): Step =>
  async (signal) => {
    await clock?.work(ms, signal);
    return value;
  };
export const fail =
  (kind: ProviderError["kind"], options: ProviderError["options"] = {}): Step =>
  async () => {
    throw new ProviderError("x", kind, `${kind} ${options.status ?? ""}`, options);
  };
export const fails = async (promise: Promise<unknown>): Promise<AllProvidersFailedError> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AllProvidersFailedError);
  return err as AllProvidersFailedError;
};
