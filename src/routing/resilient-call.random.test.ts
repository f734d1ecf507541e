/**
 * A randomized, seeded run of callWithResilience against three fake providers that fail in mixed
 * ways (5xx with and without Retry-After, bad credentials, unusable answers, refusals, hangs, slow
 * answers) and go through outages. Everything runs on a virtual clock, so each seed replays
 * exactly. The checks are invariants that must hold whatever the dice say.
 */
import { describe, expect, it } from "vitest";
import { AudioError } from "../audio/errors";
import { ProviderError } from "../providers/errors";
import { AllProvidersFailedError } from "./attempts";
import type { AttemptRecord } from "../call/attempts";
import type { BreakerState } from "./circuit-breaker";
import { HealthRegistry, type HealthTransitionEvent } from "./health-registry";
import { callWithResilience, type ProviderRef } from "./resilient-call";
import { seededRandom, VirtualClock } from "./test-support";

type Kind = "ok" | "slow" | "retryable" | "retry_after" | "invalid" | "permanent" | "audio" | "hang" | "auth";
type Profile = Partial<Record<Kind, number>>;

const PROFILES: Record<string, Profile> = {
  a: {
    ok: 0.48,
    slow: 0.05,
    retryable: 0.1,
    retry_after: 0.1,
    invalid: 0.05,
    permanent: 0.05,
    audio: 0.05,
    hang: 0.1,
    auth: 0.02,
  },
  b: {
    ok: 0.66,
    slow: 0.05,
    retryable: 0.07,
    retry_after: 0.05,
    invalid: 0.03,
    permanent: 0.05,
    audio: 0.03,
    hang: 0.05,
    auth: 0.01,
  },
  // Bad credentials are rare and open a breaker for 30 s at once; c never has them.
  c: { ok: 0.81, slow: 0.02, retryable: 0.1, hang: 0.03, permanent: 0.04 },
};
/** During an outage a provider mostly answers 503 or hangs. */
const OUTAGE: Profile = { ok: 0.1, retryable: 0.6, hang: 0.3 };

function pick(profile: Profile, r: number): Kind {
  let acc = 0;
  for (const [kind, weight] of Object.entries(profile) as [Kind, number][]) {
    acc += weight;
    if (r < acc) return kind;
  }
  return "ok";
}

// A probe's success closes an open (or just half-opened) breaker.
const ALLOWED = new Set(["closed->open", "open->half_open", "half_open->closed", "half_open->open", "open->closed"]);
/** The probe spacing of an open breaker (circuit-breaker.ts defaults): trickle, and when every choice is open. */
const TRICKLE_MS = 5000;
const PANIC_MS = 1000;
const MAX_ATTEMPTS = 3;
const DEADLINE_MS = 8000;

describe.each([1, 2, 3, 42, 2024])("callWithResilience, randomized (seed %i)", (seed) => {
  it("keeps its invariants over 200 calls against three flaky providers", async () => {
    const dice = seededRandom(seed);
    const clock = new VirtualClock();
    const transitions: HealthTransitionEvent[] = [];
    const probesSinceHalfOpen = new Map<string, number>();
    /** Per provider: when its breaker last opened, or last sent (or failed) a probe. */
    const evidence = new Map<string, number>();
    const registry = new HealthRegistry({
      now: clock.now,
      capacity: 4,
      onTransition: (t) => {
        transitions.push(t);
        if (t.to === "open") evidence.set(t.provider, Math.max(evidence.get(t.provider) ?? 0, t.at));
        if (t.to === "half_open") probesSinceHalfOpen.set(t.provider, 0);
      },
    });
    const providers: ProviderRef[] = [
      { name: "a", region: "eu" },
      { name: "b", region: "us" },
      { name: "c", region: "ap" },
    ];
    const stats = {
      ok: 0,
      failed: 0,
      allSkipped: 0,
      retries: 0,
      timeouts: 0,
      refused: 0,
      saturated: 0,
      skippedOpen: 0,
      probes: { trickle: 0, panic: 0 },
      cameFromB: 0,
      cameFromC: 0,
    };
    const problems: string[] = [];
    const check = (cond: boolean, what: string) => {
      if (!cond) problems.push(what);
    };

    for (let n = 0; n < 200; n++) {
      // a and b go down on their own; then all three at once, until every breaker is open and only probes get through.
      const outage = (name: string) =>
        (name === "a" && n >= 40 && n < 90) || (name === "b" && n >= 120 && n < 140) || (n >= 165 && n < 175);
      const made: string[] = [];
      const madeWhile: BreakerState[] = [];
      const madeAt: number[] = [];
      const gapAtCall: (number | undefined)[] = [];
      const answers = new Map<string, string>();
      const call = async (p: ProviderRef, signal: AbortSignal): Promise<string> => {
        const state = registry.get(p.name, p.region).breaker.state;
        made.push(p.name);
        madeWhile.push(state);
        madeAt.push(clock.now());
        const since = evidence.get(p.name);
        gapAtCall.push(state === "open" && since !== undefined ? clock.now() - since : undefined);
        const kind = pick(outage(p.name) ? OUTAGE : PROFILES[p.name]!, dice());
        const latency = 50 + Math.floor(dice() * 450);
        switch (kind) {
          case "ok":
          case "slow": {
            await clock.work(kind === "slow" ? 2600 + Math.floor(dice() * 1400) : latency, signal);
            const value = `${p.name}:${n}:${made.length}`;
            answers.set(p.name, value);
            return value;
          }
          case "hang":
            return clock.hang(signal);
          case "audio":
            await clock.work(20, signal);
            throw new AudioError("unsupported_media_type", "not this format");
          default: {
            await clock.work(latency, signal);
            const errorKind = kind === "retry_after" ? "retryable" : kind === "invalid" ? "invalid_response" : kind;
            const status = { retryable: 503, retry_after: 429, invalid: undefined, permanent: 400, auth: 401 }[kind];
            throw new ProviderError(p.name, errorKind, kind, {
              ...(status ? { status } : {}),
              ...(kind === "retry_after" ? { retryAfterMs: 500 + Math.floor(dice() * 5500) } : {}),
            });
          }
        }
      };

      // Now and then one provider is busy with other requests: admission control must skip it.
      const busy = dice() < 0.1 ? providers[Math.floor(dice() * 3)]! : undefined;
      if (busy) registry.get(busy.name, busy.region).inFlight += 4;
      const started = clock.now();
      let attempts: readonly AttemptRecord[];
      try {
        const out = await callWithResilience(providers, call, {
          deadlineMs: DEADLINE_MS,
          registry,
          now: clock.now,
          sleep: clock.sleep,
          timeout: clock.timeout,
          random: dice,
        });
        attempts = out.attempts;
        stats.ok++;
        if (out.provider.name === "b") stats.cameFromB++;
        if (out.provider.name === "c") stats.cameFromC++;
        const last = attempts.at(-1);
        check(
          last?.outcome === "success" && last.provider === out.provider.name,
          `call ${n}: success is not the last record`,
        );
        check(
          attempts.filter((a) => a.outcome === "success").length === 1,
          `call ${n}: not exactly one success record`,
        );
        check(
          out.value === answers.get(out.provider.name) && made.at(-1) === out.provider.name,
          `call ${n}: value not from the provider called last`,
        );
      } catch (err) {
        check(err instanceof AllProvidersFailedError, `call ${n}: threw ${String(err)}`);
        if (!(err instanceof AllProvidersFailedError)) continue;
        attempts = err.attempts;
        stats.failed++;
        check(!attempts.some((a) => a.outcome === "success"), `call ${n}: failed despite a success`);
        check(err.reason !== "aborted", `call ${n}: aborted without a caller signal`);
        const onlySkips = attempts.every((a) => a.outcome === "skipped_open" || a.outcome === "skipped_saturated");
        check(
          (err.reason === "all_skipped") === (onlySkips && made.length === 0),
          `call ${n}: reason ${err.reason} does not match the records`,
        );
        if (err.allSkipped) {
          stats.allSkipped++;
          // Every choice open and none probed: a probe may go within the panic spacing.
          check(
            err.retryAfterMs > 0 && err.retryAfterMs <= PANIC_MS,
            `call ${n}: Retry-After ${err.retryAfterMs} for all skipped`,
          );
        }
        check(
          err.errors.length === attempts.filter((a) => ["failed", "refused", "timeout"].includes(a.outcome)).length,
          `call ${n}: errors do not match the records`,
        );
      }
      if (busy) registry.get(busy.name, busy.region).inFlight -= 4;

      const elapsed = clock.now() - started;
      check(elapsed <= DEADLINE_MS, `call ${n}: took ${elapsed} ms, over the deadline`);
      // Records of real calls are exactly the calls made, in order.
      check(
        JSON.stringify(attempts.filter((a) => a.attempt > 0).map((a) => a.provider)) === JSON.stringify(made),
        `call ${n}: records ${JSON.stringify(attempts)} vs calls ${made.join(",")}`,
      );
      // A call made while its breaker was open is a probe, and a probe is made only while open: at
      // most one trickle probe per request, and panic probes last, each to an open choice it skipped.
      const calls = attempts.filter((a) => a.attempt > 0);
      calls.forEach((a, i) => {
        check((madeWhile[i] === "open") === (a.probe !== undefined), `call ${n}: ${a.provider} ${madeWhile[i]}`);
        if (a.probe) stats.probes[a.probe]++;
      });
      // (The provider whose trickle probe is due goes first: the rest keep their order.)
      const moved = attempts[0]?.probe === "trickle" ? attempts.slice(0, 1) : [];
      const firstPanic = attempts.findIndex((a) => a.probe === "panic");
      const panic = firstPanic >= 0 ? attempts.slice(firstPanic) : [];
      check(
        attempts.filter((a) => a.probe === "trickle").length <= 1 &&
          panic.every(
            (a) =>
              a.probe === "panic" &&
              a.attempt === 1 &&
              attempts.slice(0, firstPanic).some((b) => b.provider === a.provider && b.outcome === "skipped_open") &&
              !attempts.slice(0, firstPanic).some((b) => b.provider === a.provider && b.attempt > 0),
          ),
        `call ${n}: probes out of place ${JSON.stringify(attempts)}`,
      );
      calls.forEach((a, i) => {
        if (!a.probe) return;
        // Spaced from the breaker's opening, its last probe and that probe's failure.
        const gap = gapAtCall[i] ?? Infinity;
        check(gap >= (a.probe === "panic" ? PANIC_MS : TRICKLE_MS), `call ${n}: ${a.probe} probe ${gap} ms after`);
        const start = madeAt[i]!;
        const failed = a.outcome === "failed" || a.outcome === "timeout";
        evidence.set(a.provider, Math.max(evidence.get(a.provider) ?? 0, failed ? start + a.ms : start));
      });
      // Apart from the probes: preference order, each provider's records contiguous, attempts numbered 1..k ≤ 3.
      const order = attempts
        .filter((a) => !moved.includes(a) && !panic.includes(a))
        .map((a) => a.provider)
        .filter((x, i, all) => all[i - 1] !== x);
      check(new Set(order).size === order.length, `call ${n}: went back to a provider`);
      check(
        order.every(
          (x, i) =>
            i === 0 || providers.findIndex((p) => p.name === x) > providers.findIndex((p) => p.name === order[i - 1]),
        ),
        `call ${n}: out of preference order`,
      );
      for (const p of providers) {
        const numbers = attempts.filter((a) => a.provider === p.name && a.attempt > 0).map((a) => a.attempt);
        check(
          numbers.length <= MAX_ATTEMPTS && numbers.every((k, i) => k === i + 1),
          `call ${n}: ${p.name} attempts ${numbers.join(",")}`,
        );
      }
      // A retry only follows a retryable failure or a timeout.
      attempts.forEach((a, i) => {
        if (a.attempt > 1) {
          const before = attempts[i - 1];
          check(
            before?.provider === a.provider && (before.errorKind === "retryable" || before.errorKind === "timeout"),
            `call ${n}: retry after ${before?.outcome}/${before?.errorKind}`,
          );
        }
      });
      // Half-open lets at most 3 trial calls count (refused ones free their slot) before deciding.
      attempts
        .filter((a) => a.attempt > 0)
        .forEach((a, i) => {
          if (madeWhile[i] !== "half_open" || !["success", "failed", "timeout"].includes(a.outcome)) return;
          const probes = (probesSinceHalfOpen.get(a.provider) ?? 0) + 1;
          probesSinceHalfOpen.set(a.provider, probes);
          check(probes <= 3, `call ${n}: ${a.provider} had ${probes} trial calls counted while half-open`);
        });
      // An abandoned call is in flight until it settles; let the aborted fakes settle first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      for (const p of providers) {
        const h = registry.get(p.name, p.region);
        check(h.inFlight === 0, `call ${n}: ${p.name} left ${h.inFlight} in flight`);
        check(h.budget.tokens >= 0 && h.budget.tokens <= 500, `call ${n}: ${p.name} budget ${h.budget.tokens}`);
      }
      stats.retries += attempts.filter((a) => a.attempt > 1).length;
      stats.timeouts += attempts.filter((a) => a.outcome === "timeout").length;
      stats.refused += attempts.filter((a) => a.outcome === "refused").length;
      stats.saturated += attempts.filter((a) => a.outcome === "skipped_saturated").length;
      stats.skippedOpen += attempts.filter((a) => a.outcome === "skipped_open").length;

      clock.advance(Math.floor(dice() * 3000)); // the next turn comes along
    }

    // Breaker histories are plausible: a chain of allowed moves, half-open only after the wait.
    for (const p of providers) {
      const mine = transitions.filter((t) => t.provider === p.name);
      let state: BreakerState = "closed";
      let openedAt = 0;
      for (const t of mine) {
        check(t.from === state, `${p.name}: transition from ${t.from} while ${state}`);
        check(ALLOWED.has(`${t.from}->${t.to}`), `${p.name}: ${t.from}->${t.to}`);
        if (t.to === "open") openedAt = t.at;
        if (t.to === "half_open")
          check(t.at - openedAt >= 30_000, `${p.name}: half-open ${t.at - openedAt} ms after opening`);
        state = t.to;
      }
      // (A snapshot may itself half-open an open breaker whose wait is over: count after it.)
      const counted = registry.get(p.name, p.region).breaker.snapshot().transitions;
      check(counted === transitions.filter((t) => t.provider === p.name).length, `${p.name}: transition count`);
    }

    expect(problems).toEqual([]);
    // The dice exercised what they should: failovers, retries, timeouts, refusals, open breakers.
    expect(stats.ok + stats.failed).toBe(200);
    expect(stats.ok).toBeGreaterThan(170);
    expect(stats.cameFromB + stats.cameFromC).toBeGreaterThan(20);
    expect(stats.retries).toBeGreaterThan(10);
    expect(stats.timeouts).toBeGreaterThan(5);
    expect(stats.refused).toBeGreaterThan(5);
    expect(stats.saturated).toBeGreaterThan(0);
    expect(stats.skippedOpen).toBeGreaterThan(0);
    expect(stats.probes.trickle).toBeGreaterThan(0);
    expect(transitions.some((t) => t.to === "open")).toBe(true);
    // Probes close breakers within seconds, so the 30 s wait to half-open seldom runs out here.
    expect(transitions.some((t) => t.reason === "probe_succeeded")).toBe(true);
  });
});
